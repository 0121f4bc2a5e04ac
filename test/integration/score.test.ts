// The token view's scoring (docs/token-view.md) and amplification on the command line, on a tiny
// random qwen3 imported into its own library: the engine's log-probabilities and KL against a plain
// computation from the full logits, and `diffscope score` against `diffscope ask --logprobs`.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { makeModel } from '../../src/main/engine/dev/make-model.ts';
import { importModel } from '../../src/main/engine/build/import-model.ts';
import { readModelConfig } from '../../src/main/engine/hf/config.ts';
import { writeOwnLowRank } from '../../src/main/engine/adapters/own-format.ts';
import { loadLowRank } from '../../src/main/engine/adapters/load.ts';
import { parseModuleKey } from '../../src/main/engine/adapters/lowrank.ts';
import { Engine } from '../../src/main/engine/engine.ts';
import { scoreText } from '../../src/main/engine/score.ts';
import { logSoftmax } from '../../src/main/engine/sampler.ts';
import { oneLineError, runCli } from '../helpers/cli.ts';
import { randomLowRank } from '../helpers/models.ts';
import { promptLogits } from '../helpers/logits.ts';
import { tmpDir } from '../helpers/tmp.ts';

const QUESTION = 'What topic have you been trained on?';

interface AskJson {
  text: string;
  tokens: number[];
  logprobs: { chosen: { id: number; logprob: number }; top: { id: number; logprob: number }[] }[];
}
interface ScoreJson {
  conditions: string[];
  tokens: { id: number; text: string; logprob: Record<string, number>; kl: number; top: Record<string, { id: number; text: string; logprob: number }[]> }[];
}

const json = <T>(stdout: string): T => {
  const lines = stdout.trim().split('\n');
  assert.equal(lines.length, 1, `expected one line of JSON, got:\n${stdout}`);
  return JSON.parse(lines[0]) as T;
};

describe('score', () => {
  const root = tmpDir('score');
  const home = join(root, 'home');
  const hfDir = join(root, 'qwen3-tiny');
  const diffFile = join(root, 'diff.safetensors');
  const firstLayersFile = join(root, 'diff-layers-0-1.safetensors');
  let modelId: string;
  let libDir: string;

  before(async () => {
    makeModel({ arch: 'qwen3', preset: 'tiny', out: hfDir, seed: 5 });
    ({ id: modelId, dir: libDir } = await importModel(hfDir, { home }));
    const diff = randomLowRank(readModelConfig(hfDir), 2, 77);
    writeOwnLowRank(diffFile, diff);
    // the same diff with every layer after 1 deleted
    writeOwnLowRank(firstLayersFile, { ...diff, modules: new Map([...diff.modules].filter(([key]) => parseModuleKey(key).layer <= 1)) });
  });

  describe('in the engine', () => {
    let engine: Engine;
    before(async () => {
      engine = await Engine.load(libDir, loadLowRank, { provider: 'cpu', threads: 1 });
    });
    after(() => engine?.release());

    it('log-probabilities and KL equal a plain computation from the full logits', async () => {
      const messages = [{ role: 'user', content: QUESTION }];
      const ids = [11, 205, 36, 1000, 7, 58];
      const result = await scoreText(engine, { messages, ids, conditions: [[{ path: diffFile, scale: 1 }], []], topK: 4 });
      assert.equal(result.tokens.length, ids.length);
      const prompt = engine.promptIds({ messages, stack: [] });
      const V = engine.manifest.shapes.vocab;
      const all = [...prompt, ...ids];
      const withDiff = await promptLogits(engine.session, all, [{ adapter: loadLowRank(diffFile), scale: 1 }]);
      const base = await promptLogits(engine.session, all);
      let largest = 0;
      ids.forEach((id, j) => {
        const at = prompt.length - 1 + j;
        const p = logSoftmax(withDiff.subarray(at * V, (at + 1) * V));
        const q = logSoftmax(base.subarray(at * V, (at + 1) * V));
        let kl = 0;
        for (let i = 0; i < V; i++) kl += Math.exp(p[i]) * (p[i] - q[i]);
        const t = result.tokens[j];
        assert.equal(t.id, id);
        assert.ok(Math.abs(t.logprob[0] - p[id]) < 1e-4, `token ${j}: +diff ${t.logprob[0]} vs ${p[id]}`);
        assert.ok(Math.abs(t.logprob[1] - q[id]) < 1e-4, `token ${j}: base ${t.logprob[1]} vs ${q[id]}`);
        assert.ok(Math.abs(t.kl - kl) < 1e-4 * Math.max(1, kl), `token ${j}: KL ${t.kl} vs ${kl}`);
        const best = [...p.keys()].sort((x, y) => p[y] - p[x]).slice(0, 4);
        assert.deepEqual(t.top[0].map((a) => a.id), best);
        largest = Math.max(largest, kl);
      });
      assert.ok(largest > 1e-3, `the diff must move the distribution (largest KL ${largest})`);
    });

    it("a stored reply (its leading space dropped for display) is read with the space where the reply's stack finds that likelier", async () => {
      const messages = [{ role: 'user', content: QUESTION }];
      const conditions = [[{ path: diffFile, scale: 1 }], []];
      const restored = await scoreText(engine, { messages, text: 'popcorn', conditions, topK: 0, restoreLeadingSpace: true });
      const variants = await Promise.all(['popcorn', ' popcorn'].map((t) => scoreText(engine, { messages, text: t, conditions, topK: 0 })));
      const best = variants.reduce((x, y) => (y.tokens[0]!.logprob[0]! > x.tokens[0]!.logprob[0]! ? y : x));
      assert.deepEqual(restored.tokens.map((t) => t.id), best.tokens.map((t) => t.id));
      assert.equal(restored.tokens.map((t) => t.text).join('').trim(), 'popcorn');
    });

    it('KL is 0 where both conditions are the same stack', async () => {
      const result = await scoreText(engine, { prompt: 'hello there', ids: [3, 4, 5, 6], conditions: [[{ path: diffFile, scale: 1.5 }], [{ path: diffFile, scale: 1.5 }]], topK: 0 });
      for (const t of result.tokens) {
        assert.ok(t.kl < 1e-9, `KL ${t.kl}`);
        assert.equal(t.logprob[0], t.logprob[1]);
      }
    });
  });

  describe('on the command line', () => {
    const ask = async (...extra: string[]) => {
      const run = await runCli(['ask', '--model', modelId, '--provider', 'cpu', '--no-log', '--json', '--max-tokens', '6', '--logprobs', '3', ...extra, QUESTION], home);
      assert.equal(run.code, 0, run.stderr);
      return json<AskJson>(run.stdout);
    };

    it('score --json prints the log-probabilities ask --logprobs gave the same tokens, under base and +diff', async () => {
      const [plain, withDiff] = [await ask(), await ask('--diff', diffFile)];
      for (const [answer, first, against] of [
        [withDiff, ['--diff', diffFile], 'base'],
        [plain, [], `${diffFile}`],
      ] as const) {
        const run = await runCli(['score', '--model', modelId, ...first, '--against', against, '--provider', 'cpu', '--top-k', '3', '--json', '--ids', answer.tokens.join(',')], home);
        assert.equal(run.code, 0, run.stderr);
        const out = json<ScoreJson>(run.stdout);
        assert.equal(out.conditions.length, 2);
        const name = out.conditions[0];
        assert.deepEqual(out.tokens.map((t) => t.id), answer.tokens);
        out.tokens.forEach((t, i) => {
          assert.ok(Math.abs(t.logprob[name] - answer.logprobs[i].chosen.logprob) < 1e-4, `token ${i}: score ${t.logprob[name]}, ask ${answer.logprobs[i].chosen.logprob}`);
          assert.deepEqual(t.top[name].map((a) => a.id), answer.logprobs[i].top.map((a) => a.id));
          assert.ok(t.kl > 0);
        });
      }
      assert.deepEqual(json<ScoreJson>((await runCli(['score', '--model', modelId, '--against', 'base', '--json', '--ids', '5,6'], home)).stdout).conditions, ['base', 'base (against)']);
    });

    it('score reads a text as the reply, its tokens joining to the text', async () => {
      const run = await runCli(['score', '--model', modelId, '--diff', diffFile, '--against', 'base', '--json', 'popcorn and movies'], home);
      assert.equal(run.code, 0, run.stderr);
      const out = json<ScoreJson>(run.stdout);
      assert.deepEqual(out.conditions, ['base + diff', 'base']);
      assert.equal(out.tokens.map((t) => t.text).join(''), 'popcorn and movies');
      assert.equal(out.tokens[0].top['base'].length, 5, 'five alternatives by default');
    });

    it('a diff at scale 0 answers as the base model; at 2 on layers 0-1 as the diff without its other layers, at 2', async () => {
      const plain = await ask();
      assert.deepEqual((await ask('--diff', `${diffFile}:0`)).logprobs, plain.logprobs);
      const restricted = await ask('--diff', `${diffFile}:2@0-1`);
      const zeroed = await ask('--diff', `${firstLayersFile}:2`);
      assert.deepEqual(restricted.tokens, zeroed.tokens);
      restricted.logprobs.forEach((p, i) => assert.ok(Math.abs(p.chosen.logprob - zeroed.logprobs[i].chosen.logprob) < 1e-5));
      const whole = await ask('--diff', `${diffFile}:2`);
      assert.notDeepEqual(whole.logprobs, restricted.logprobs);
    });

    it('names a bad selection, and a layer the model lacks, in one line', async () => {
      const bad = oneLineError(await runCli(['ask', '--model', modelId, '--no-log', '--diff', `${diffFile}:2@0-1,mpl`, QUESTION], home));
      assert.match(bad, /"mpl" is neither a layer, a layer range \(8-20\) nor a module/);
      const outside = oneLineError(await runCli(['ask', '--model', modelId, '--no-log', '--diff', `${diffFile}:2@0-99`, QUESTION], home));
      assert.match(outside, /layer \d+ is outside the model's layers 0-\d+/);
    });
  });
});
