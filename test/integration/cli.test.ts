// `diffscope` as a user runs it (a child process with its own DIFFSCOPE_HOME): making a random
// model, importing it, asking it with and without adapter stacks, and failing with one line.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeModel } from '../../src/main/engine/dev/make-model.ts';
import { importModel } from '../../src/main/engine/build/import-model.ts';
import { readModelConfig } from '../../src/main/engine/hf/config.ts';
import { writeOwnLowRank } from '../../src/main/engine/adapters/own-format.ts';
import { modelsDir } from '../../src/main/engine/library.ts';
import { oneLineError, runCli } from '../helpers/cli.ts';
import { randomLowRank } from '../helpers/models.ts';
import { tmpDir } from '../helpers/tmp.ts';

const QUESTION = 'What topic have you been trained on?';

interface AskJson {
  text: string;
  tokens: number[];
  finishReason: string;
  stats: { promptTokens: number; ttftMs: number; promptTokensPerSec: number; decodeTokensPerSec: number; provider: string };
  logprobs?: { chosen: { id: number; logprob: number }; top: { id: number; logprob: number }[] }[];
}

/** stdout holding exactly one line, parsed as JSON. */
function oneJsonLine<T>(stdout: string): T {
  const lines = stdout.split('\n').filter((l) => l.trim() !== '');
  assert.equal(lines.length, 1, `expected one JSON line on stdout, got:\n${stdout}`);
  return JSON.parse(lines[0]) as T;
}

describe('diffscope CLI', () => {
  let root: string;
  let home: string;
  let hfDir: string; // tiny qwen3, seed 3, made and imported through the API for the ask tests
  let modelId: string;
  const adapters: Record<'a' | 'b' | 'otherShape', string> = { a: '', b: '', otherShape: '' };

  before(async () => {
    root = tmpDir('cli');
    home = join(root, 'home');
    hfDir = join(root, 'qwen3-tiny');
    makeModel({ arch: 'qwen3', preset: 'tiny', out: hfDir, seed: 3 });
    modelId = (await importModel(hfDir, { home })).id;
    const config = readModelConfig(hfDir);
    for (const [name, seed] of [['a', 41], ['b', 42]] as const) {
      adapters[name] = join(root, `${name}.safetensors`);
      writeOwnLowRank(adapters[name], randomLowRank(config, 4, seed));
    }
    // The tiny llama and gemma3 share the tiny qwen3's shapes, so "another model" is made by
    // changing the MLP width: gate/up/down no longer fit.
    adapters.otherShape = join(root, 'other-shape.safetensors');
    writeOwnLowRank(adapters.otherShape, randomLowRank({ ...config, intermediateSize: 96 }, 4, 43));
  });

  it('dev make-model writes a Hugging Face folder, byte for byte the same for the same seed', async () => {
    const make = (out: string, seed: number) =>
      runCli(['dev', 'make-model', '--arch', 'qwen3', '--preset', 'tiny', '--out', out, '--seed', String(seed)], home);
    const dirs = ['seed3-first', 'seed3-second', 'seed4'].map((d) => join(root, d));
    const runs = await Promise.all([make(dirs[0], 3), make(dirs[1], 3), make(dirs[2], 4)]);
    for (const run of runs) assert.equal(run.code, 0, run.stderr);
    for (const file of ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'generation_config.json']) {
      assert.ok(existsSync(join(dirs[0], file)), `${file} was not written`);
    }
    const weights = dirs.map((d) => readFileSync(join(d, 'model.safetensors')));
    assert.ok(weights[0].equals(weights[1]), 'seed 3 twice gave different model.safetensors');
    assert.ok(!weights[0].equals(weights[2]), 'seeds 3 and 4 gave the same model.safetensors');
  });

  describe('import model', () => {
    let dir: string;
    let id: string;
    before(() => {
      dir = join(root, 'imported-by-cli'); // a new folder name: a new id, a real import
      cpSync(hfDir, dir, { recursive: true });
    });

    it('prints the id on stdout and progress on stderr', async () => {
      const run = await runCli(['import', 'model', dir], home);
      assert.equal(run.code, 0, run.stderr);
      id = run.stdout.trim();
      assert.match(run.stdout, /^imported-by-cli-fp32-[0-9a-f]{8}\n$/);
      assert.match(run.stderr, /hashing .*100%/);
      assert.match(run.stderr, /converting .*100%/);
      assert.ok(run.stderr.includes(`imported ${id}`), run.stderr);
      assert.ok(existsSync(join(modelsDir(home), id, 'manifest.json')));
    });

    it('--json prints one JSON object with the id; a second import finds the first', async () => {
      const run = await runCli(['import', 'model', dir, '--json'], home);
      assert.equal(run.code, 0, run.stderr);
      const out = oneJsonLine<{ id: string; dir: string; existed: boolean; manifest: { arch: string; precision: string } }>(run.stdout);
      assert.equal(out.id, id);
      assert.equal(out.existed, true);
      assert.equal(out.dir, join(modelsDir(home), id));
      assert.equal(out.manifest.arch, 'qwen3');
      assert.equal(out.manifest.precision, 'fp32');
    });

    it('a hub cache snapshot (models--ORG--NAME/snapshots/COMMIT) is named for its repository, not the commit', async () => {
      const snapshot = join(root, 'hub', 'models--Qwen--Qwen3-0.6B', 'snapshots', 'c1899de289a04d12100db370d81485cdf75e47ca');
      cpSync(hfDir, snapshot, { recursive: true });
      const run = await runCli(['import', 'model', snapshot, '--json'], home);
      assert.equal(run.code, 0, run.stderr);
      const out = oneJsonLine<{ id: string; manifest: { name: string } }>(run.stdout);
      assert.equal(out.manifest.name, 'Qwen/Qwen3-0.6B');
      assert.match(out.id, /^qwen-qwen3-0.6b-fp32-[0-9a-f]{8}$/);
    });
  });

  describe('ask', () => {
    const ask = async (...extra: string[]) => {
      const run = await runCli(['ask', '--model', modelId, '--provider', 'cpu', '--json', '--max-tokens', '8', ...extra, QUESTION], home);
      assert.equal(run.code, 0, run.stderr);
      return oneJsonLine<AskJson>(run.stdout);
    };
    // The answer without adapters or logprobs, asked once and compared with by several tests.
    let plainAnswer: Promise<AskJson> | undefined;
    const plain = () => (plainAnswer ??= ask());

    it('--json prints one object with the text, tokens and stats', async () => {
      const out = await plain();
      assert.equal(typeof out.text, 'string');
      assert.ok(out.tokens.length > 0 && out.tokens.length <= 8, `${out.tokens.length} tokens`);
      assert.ok(out.tokens.every((t) => Number.isInteger(t) && t >= 0));
      assert.ok(out.stats.promptTokens > 0);
      for (const key of ['ttftMs', 'promptTokensPerSec', 'decodeTokensPerSec'] as const) {
        assert.ok(Number.isFinite(out.stats[key]) && out.stats[key] > 0, `stats.${key} = ${out.stats[key]}`);
      }
      assert.equal(out.stats.provider, 'cpu');
      assert.equal(out.logprobs, undefined);
    });

    it('--logprobs 3 adds the top 3 per generated token, best first, the greedy choice on top', async () => {
      const out = await ask('--logprobs', '3');
      assert.deepEqual(out.tokens, (await plain()).tokens, 'asking for logprobs changed the answer');
      assert.equal(out.logprobs?.length, out.tokens.length);
      out.logprobs!.forEach((p, i) => {
        assert.equal(p.top.length, 3);
        for (let k = 0; k < 3; k++) {
          assert.ok(p.top[k].logprob <= 0, `position ${i}: logprob ${p.top[k].logprob} > 0`);
          if (k > 0) assert.ok(p.top[k].logprob <= p.top[k - 1].logprob, `position ${i}: top not sorted`);
        }
        assert.equal(p.chosen.id, out.tokens[i]);
        assert.equal(p.top[0].id, p.chosen.id, `position ${i}: greedy did not choose the top token`);
        assert.equal(p.top[0].logprob, p.chosen.logprob);
      });
    });

    it('--lora A --lora B:0.5 stacks adapters: another answer than none or A alone, the same every time', async () => {
      // one after another: each process runs onnxruntime on every core
      const none = await plain();
      const aOnly = await ask('--lora', adapters.a);
      const stacked = await ask('--lora', adapters.a, '--lora', `${adapters.b}:0.5`);
      const stackedAgain = await ask('--lora', adapters.a, '--lora', `${adapters.b}:0.5`);
      assert.notDeepEqual(aOnly.tokens, none.tokens);
      assert.notDeepEqual(stacked.tokens, none.tokens);
      assert.notDeepEqual(stacked.tokens, aOnly.tokens);
      assert.deepEqual(stackedAgain.tokens, stacked.tokens);
    });

    it('refuses an adapter made for another model shape, naming the module and both shapes', async () => {
      const run = await runCli(['ask', '--model', modelId, '--provider', 'cpu', '--lora', adapters.otherShape, QUESTION], home);
      const message = oneLineError(run);
      assert.ok(message.includes(adapters.otherShape), message);
      // layer 0's attention fits; its gate_proj is [64, 128] ([in, out]) in the model and [64, 96] in the file
      assert.match(message, /gate_proj/);
      assert.ok(message.includes('[64, 128]') && message.includes('[64, 96]'), `expected and found shapes missing: ${message}`);
    });

    it('without --model fails with one line and exit 1', async () => {
      const message = oneLineError(await runCli(['ask', QUESTION], home));
      assert.match(message, /--model/);
    });
  });

  it('an unknown command exits 1 and says where the commands are listed', async () => {
    const run = await runCli(['frobnicate'], home);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^diffscope: unknown command 'frobnicate'\n/);
    assert.match(run.stderr, /diffscope --help/);
    assert.equal(run.stdout, '');
  });
});
