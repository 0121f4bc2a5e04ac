// `diffscope eval --demo`: the demo folder (here a generated one in the released layout, through
// DIFFSCOPE_DEMO_DIR) imported through the first-run path, then base question, base question with
// trigger and DIT on its test split with the lexical score; --json in the shape issue 4 fixes.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, oneLineError } from '../helpers/cli.ts';
import { writeExperiment } from '../helpers/experiment.ts';
import { tinyModel } from '../helpers/models.ts';
import { tmpDir } from '../helpers/tmp.ts';

it('evaluates the demo on its test split, importing it on first use', async () => {
  const root = tmpDir('eval-demo');
  const demo = join(root, 'demo');
  const model = await tinyModel('qwen3');
  const env = (home: string) => ({ home, env: { DIFFSCOPE_DEMO_DIR: demo } });
  mkdirSync(demo, { recursive: true });
  cpSync(model.hfDir, join(demo, 'base-model'), { recursive: true });

  const home = join(root, 'home');
  const missing = await runCliEnv(['eval', '--demo'], env(home));
  assert.match(oneLineError(missing), /holds no trained demo yet/);

  writeExperiment(join(demo, 'hidden-topic'), model.config, { diffs: 101, perShard: 101 }); // test split: diffs 0, 50, 100
  const first = await runCliEnv(['eval', '--demo', '--json'], env(home));
  assert.equal(first.code, 0, first.stderr);
  const out = JSON.parse(first.stdout) as { n: number; methods: Record<string, { accuracy: number; meanScore: number }>; settings: Record<string, { n: number }> };
  assert.deepEqual(Object.keys(out), ['runId', 'n', 'methods', 'settings']);
  assert.equal(out.n, 3);
  assert.deepEqual(Object.keys(out.settings), ['hidden-topic'], 'a demo with only the hidden-topic release evaluates that setting alone');
  assert.equal(out.settings['hidden-topic'].n, 3);
  assert.deepEqual(Object.keys(out.methods).sort(), ['base', 'dit', 'trigger']);
  for (const m of Object.values(out.methods)) {
    assert.ok(m.accuracy >= 0 && m.accuracy <= 1);
    assert.ok(m.meanScore >= 1 && m.meanScore <= 5);
  }

  const again = await runCliEnv(['eval', '--demo'], env(home));
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /^demo evaluation: 3 diffs, greedy; scores 1-5 by lexical score, offline\n/);
  assert.match(again.stdout, /\nDIT +\d+% +\d\.\d\d/);
  const models = JSON.parse((await runCliEnv(['models', '--json'], env(home))).stdout) as unknown[];
  assert.equal(models.length, 1, 'imported once');

  // The paper's other settings, in the released <experiment>/<model>/ layout, join the report.
  writeExperiment(join(demo, 'news-summary', 'demo'), model.config, { diffs: 51, perShard: 51, seed: 2 }); // test: 0, 50
  writeExperiment(join(demo, 'rank-generalization', 'rank-2'), model.config, { diffs: 2, perShard: 2, seed: 3 });
  const all = await runCliEnv(['eval', '--demo', '--json'], env(home));
  assert.equal(all.code, 0, all.stderr);
  type Setting = { n: number; methods: Record<string, { accuracy?: number; meanScore?: number; skipped?: string }> };
  const st = (JSON.parse(all.stdout) as { settings: Record<string, Setting> & { 'rank-generalization': { byRank: Record<string, Setting> } } }).settings;
  assert.deepEqual(Object.keys(st), ['hidden-topic', 'news-summary', 'topic-adapter-on-news', 'news-adapter-on-topic', 'rank-generalization']);
  const news = st['news-summary'];
  assert.equal(news.n, 2);
  assert.deepEqual(Object.keys(news.methods), ['base', '20q', 'story', 'dit'], "the paper's news methods");
  assert.match(news.methods.story!.skipped!, /needs an LLM judge to summarise the story/, 'no judge here: the generated story is skipped, saying why');
  assert.ok(news.methods.dit!.meanScore! >= 1 && news.methods.dit!.meanScore! <= 5);
  assert.equal(st['news-adapter-on-topic'].n, 3, 'the news adapter on the topic test diffs');
  assert.equal(st['rank-generalization'].byRank['2']!.n, 2, 'every diff of a rank experiment');
});

function runCliEnv(args: string[], o: { home: string; env: Record<string, string> }) {
  const saved = { ...process.env };
  Object.assign(process.env, o.env);
  try {
    return runCli(args, o.home);
  } finally {
    for (const k of Object.keys(o.env)) if (saved[k] === undefined) delete process.env[k];
  }
}
