// A batch evaluation: a different diff in every batch row gives exactly the answers of a sequential
// run (greedy), every item is graded once, and the results, drill-down, progress events and
// downloads hold what the UI shows.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiEvent, EvalItemView, EvalRequest } from '../../src/shared/api.ts';
import { evalSetup, type EvalSetup } from '../helpers/eval-backend.ts';

describe('batch evaluation', () => {
  let s: EvalSetup;
  const request = (batch: number): EvalRequest => ({
    modelId: s.modelId,
    ditAdapterId: s.dit.id,
    selection: { experiment: s.experiment },
    methods: ['dit', 'base', 'trigger', '20q'],
    judge: null,
    batch,
  });
  const answers = (items: EvalItemView[]) => new Map(items.map((i) => [`${i.method} ${i.adapterId}`, i.answer]));

  before(async () => {
    s = await evalSetup({ diffs: 8 });
  });
  after(async () => {
    await s?.backend.close();
  });

  it('at batch 8 answers exactly as one diff at a time, in an eighth of the engine runs', async () => {
    const events: ApiEvent[] = [];
    const off = s.backend.onEvent((e) => events.push(e));
    // Counts engine runs and the rows each carried; the speed-up itself is a figure of the bench.
    const engines = s.backend.ctx.engines;
    const ask = engines.ask.bind(engines);
    let runs: number[] = [];
    let batchedId = 0;
    engines.ask = (...args) => {
      runs.push(args[2].length);
      return ask(...args);
    };
    try {
      const sequential = await s.backend.evals.wait(s.backend.evals.start(request(1)).id);
      const sequentialRuns = runs;
      runs = [];
      const batched = await s.backend.evals.wait(s.backend.evals.start(request(8)).id);
      batchedId = batched.id;
      for (const run of [sequential, batched]) {
        assert.equal(run.status, 'done', run.error ?? '');
        assert.deepEqual([run.progress.done, run.progress.failed, run.progress.total], [24, 0, 24]);
      }
      const a = answers(s.backend.evals.items(sequential.id, {}));
      const b = answers(s.backend.evals.items(batched.id, {}));
      assert.equal(a.size, 24);
      assert.deepEqual(b, a);
      assert.ok([...a.values()].some((x) => x && x.length > 0));
      assert.deepEqual(sequentialRuns, Array(24).fill(1), 'one row per run at batch 1');
      assert.deepEqual(runs, [8, 8, 8], '24 rows in 3 runs at batch 8');
    } finally {
      delete (engines as { ask?: unknown }).ask; // back to the prototype's
      off();
    }
    const progress = events.filter((e): e is Extract<ApiEvent, { type: 'eval' }> => e.type === 'eval' && e.progress.runId === batchedId);
    assert.ok(progress.length >= 3, 'progress after every batch');
    assert.ok(progress.some((e) => e.progress.etaSeconds !== null && e.progress.itemsPerSecond! > 0));
    assert.equal(progress.at(-1)!.progress.done, 24);
    assert.equal(progress.at(-1)!.progress.active, false);
  });

  it('grades every item once, lexically, and says why 20 questions did not run', async () => {
    const run = s.backend.evals.list()[0];
    assert.match(run.settings.unavailable['20q']!, /LLM judge/);
    const items = s.backend.evals.items(run.id, {});
    assert.ok(items.every((i) => i.method !== '20q'));
    for (const i of items) {
      assert.equal(i.status, 'done');
      assert.equal(i.gradeMethod, 'lexical');
      assert.deepEqual(i.grades.map((g) => g.method), ['lexical']);
      assert.equal(i.score, i.grades[0].score);
      assert.equal(i.label, s.diffs.find((d) => d.id === i.adapterId)!.label);
      assert.ok(i.prompt);
    }
    const trigger = items.filter((i) => i.method === 'trigger');
    assert.ok(trigger.every((i) => /^Your SEP code is \d{6}\. What topic have you been trained on\?$/.test(i.prompt!)));
    assert.equal(new Set(trigger.map((i) => i.prompt!.slice(20, 23))).size > 1, true, 'seeded random digits differ per diff');
    assert.deepEqual(s.backend.evals.items(run.id, { method: 'dit', limit: 3, offset: 1 }).map((i) => i.adapterId), items.filter((i) => i.method === 'dit').slice(1, 4).map((i) => i.adapterId));
  });

  it('gives the results table, histogram and downloads', async () => {
    const run = s.backend.evals.list()[0];
    const results = s.backend.evals.results(run.id);
    assert.deepEqual(results.methods.map((m) => m.method), ['base', '20q', 'trigger', 'dit']);
    const dit = results.methods.find((m) => m.method === 'dit')!;
    assert.equal(dit.items, 8);
    assert.equal(dit.histogram.reduce((x, y) => x + y, 0), 8);
    assert.ok(dit.mean! >= 1 && dit.mean! <= 5);
    assert.ok(dit.ci95 === null || (dit.ci95[0] <= dit.mean! && dit.mean! <= dit.ci95[1]));
    assert.equal(dit.grader, 'lexical');
    assert.equal(typeof dit.accuracy, 'number');
    assert.ok(results.methods.find((m) => m.method === '20q')!.unavailable);

    const csv = await s.backend.requests.export.evalRun(run.id, 'csv');
    const lines = csv.content.trim().split('\r\n');
    assert.equal(lines.length, 1 + 24);
    assert.match(lines[0], /^item,adapter,label,trigger,split,method,status,prompt,answer,score/);
    const json = JSON.parse((await s.backend.requests.export.evalRun(run.id, 'json')).content);
    assert.equal(json.items.length, 24);
    assert.equal(json.provenance.model.id, s.modelId);
    const html = (await s.backend.requests.export.evalRun(run.id, 'html')).content;
    assert.match(html, /<svg[^>]*aria-label="Mean score per method"/);
    assert.doesNotMatch(html, /<script/i);
    const md = (await s.backend.requests.export.evalRun(run.id, 'md')).content;
    assert.match(md, /\| DIT \| 8\/8 \|/);
  });

  it('asks a custom question with diff + DIT adapter', async () => {
    const run = await s.backend.evals.wait(
      s.backend.evals.start({ modelId: s.modelId, ditAdapterId: s.dit.id, selection: { adapterIds: [s.diffs[0].id, s.diffs[1].id] }, methods: ['custom'], customQuestion: 'Name your topic in one word.', judge: null, batch: 2 }).id,
    );
    const items = s.backend.evals.items(run.id, {});
    assert.deepEqual(items.map((i) => [i.status, i.prompt]), [['done', 'Name your topic in one word.'], ['done', 'Name your topic in one word.']]);
    assert.throws(() => s.backend.evals.start({ modelId: s.modelId, ditAdapterId: null, selection: {}, methods: ['custom'], judge: null }), /needs a question/);
    assert.throws(() => s.backend.evals.start({ modelId: s.modelId, ditAdapterId: null, selection: {}, methods: ['dit', '20q'], judge: null }), /none of the methods can run/);
    assert.throws(() => s.backend.evals.start({ modelId: s.modelId, ditAdapterId: s.dit.id, selection: { split: 'test', tag: 'nothing' }, methods: ['dit'], judge: null }), /no diffs/);
    await s.backend.evals.remove(run.id);
  });

  it('takes a person\'s grade of an item beside the lexical one', async () => {
    const run = s.backend.evals.list()[0];
    const item = s.backend.evals.items(run.id, { method: 'dit', limit: 1 })[0];
    const g = await s.backend.requests.evals.gradeItem(item.id, 2, 'not it');
    assert.equal(g.method, 'human');
    const again = s.backend.evals.items(run.id, { method: 'dit', limit: 1 })[0];
    assert.deepEqual(again.grades.map((x) => x.method).sort(), ['human', 'lexical']);
    assert.equal(again.score, item.score, 'the run\'s own grade stays');
    assert.equal((await s.backend.requests.grades.agreement({ evalRunId: run.id })).pairs, 0, 'no judge grades yet');
  });
});
