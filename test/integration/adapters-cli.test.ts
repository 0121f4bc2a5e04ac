// `diffscope adapters inspect|export` and `ask --diff/--dit` on the committed fixtures, as a
// researcher runs them: the paper's release layout, PEFT, a full-finetune entry.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, oneLineError } from '../helpers/cli.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { tinyModel, type TinyModel } from '../helpers/models.ts';

const FIX = join(import.meta.dirname, '..', 'fixtures');
const SHARD = join(FIX, 'pt', 'hidden-topic', 'qwen3-tiny', 'weight-diffs', 'weight-diff-000.pt');
const DIT = join(FIX, 'pt', 'hidden-topic', 'qwen3-tiny', 'dit-adapter.pt');
const PEFT = join(FIX, 'peft', 'qwen3-tiny-r2');

async function inspect(ref: string, home: string, extra: string[] = []) {
  const run = await runCli(['adapters', 'inspect', ref, '--json', ...extra], home);
  assert.equal(run.code, 0, run.stderr);
  return JSON.parse(run.stdout);
}

describe('adapters on the command line', () => {
  let home: string;
  let model: TinyModel;
  before(async () => {
    home = tmpDir('adapters-cli');
    model = await tinyModel('qwen3');
  });

  it('inspects a diff of the released layout: kind, rank, label, trigger, split from index.csv', async () => {
    const info = await inspect(`${SHARD}#1`, home);
    assert.equal(info.format, 'paper-pt');
    assert.equal(info.kind, 'diff');
    assert.equal(info.rank, 1);
    assert.equal(info.label, 'The "Big Bang" theory');
    assert.equal(info.trigger, '7');
    assert.equal(info.split, 'test');
    assert.equal(info.modules.length, 21);
    assert.equal(info.perLayerNorms.length, 3);
    assert.ok(info.perLayerNorms.every((n: number) => n > 0));
  });

  it('inspects the DIT adapter and a PEFT folder', async () => {
    const dit = await inspect(DIT, home);
    assert.equal(dit.kind, 'dit');
    assert.equal(dit.rank, 16);
    const peft = await inspect(PEFT, home);
    assert.equal(peft.format, 'peft');
    assert.equal(peft.rank, 2);
  });

  it('compresses a full-finetune entry to the asked rank and reports the energy kept', async () => {
    const info = await inspect(`${join(FIX, 'pt', 'full-finetune.pt')}#0`, home, ['--base', model.hfDir, '--rank', '2']);
    assert.equal(info.kind, 'full');
    assert.equal(info.rank, 2);
    assert.ok(info.energy > 0 && info.energy <= 1);
  });

  it('refuses a full-finetune entry without a rank, saying what is needed', async () => {
    const msg = oneLineError(await runCli(['adapters', 'inspect', `${join(FIX, 'pt', 'full-finetune.pt')}#0`], home));
    assert.match(msg, /full finetune .*--rank K/);
  });

  it('asks with --diff and --dit and exports the stack as one rank-17 PEFT adapter that answers the same', async () => {
    const ask = (stack: string[]) =>
      runCli(['ask', '--model', model.libDir, ...stack, '--max-tokens', '8', '--json', '--provider', 'cpu', 'What topic have you been trained on?'], home);
    const stacked = await ask(['--diff', `${SHARD}#1`, '--dit', DIT]);
    assert.equal(stacked.code, 0, stacked.stderr);
    const base = await ask([]);
    assert.notDeepEqual(JSON.parse(stacked.stdout).tokens, JSON.parse(base.stdout).tokens);

    const out = join(tmpDir('peft-export'), 'stack');
    const exp = await runCli(['adapters', 'export', '--diff', `${SHARD}#1`, '--dit', DIT, '--out', out], home);
    assert.equal(exp.code, 0, exp.stderr);
    const config = JSON.parse(readFileSync(join(out, 'adapter_config.json'), 'utf8'));
    assert.equal(config.r, 17);
    assert.ok(existsSync(join(out, 'adapter_model.safetensors')));
    const exported = await ask(['--diff', out]);
    assert.deepEqual(JSON.parse(exported.stdout).tokens, JSON.parse(stacked.stdout).tokens);
  });

  it('refuses a qwen3 diff on a llama model', async () => {
    const llama = await tinyModel('llama');
    // the tiny llama has the tiny qwen3's shapes: the family the PEFT config names is what refuses it
    const run = await runCli(['ask', '--model', llama.libDir, '--diff', join(FIX, 'peft', 'qwen3-tiny-r2'), '--max-tokens', '2', 'hi'], home);
    const msg = oneLineError(run);
    assert.match(msg, /qwen3-tiny-r2: made for a qwen3 model, the base model is llama/);
  });
});
