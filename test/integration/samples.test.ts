// Samples per condition (samples.draw): N sampled answers under every condition, all rows of one
// engine batch with a temperature and a seed, on the tiny model with real diffs and a real DIT
// adapter. The same request draws the same answers; the counts are a plain tally of the answers;
// greedy and out-of-range requests fail naming what is wrong; the API's argument check runs.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { SampleRequest, SampleResult } from '../../src/shared/api.ts';
import { dispatch } from '../../src/main/services/handlers.ts';
import { countAnswers, sameAnswerKey } from '../../src/main/services/samples.ts';
import { evalSetup, type EvalSetup } from '../helpers/eval-backend.ts';
import { runCli } from '../helpers/cli.ts';

describe('samples per condition', () => {
  let s: EvalSetup;
  before(async () => {
    s = await evalSetup({ diffs: 2 });
  });
  after(async () => {
    await s?.backend.close();
  });

  const request = (over: Partial<SampleRequest> = {}): SampleRequest => ({
    modelId: s.modelId,
    question: 'What topic have you been trained on?',
    conditions: [
      { name: 'base', stack: [] },
      { name: 'diff', stack: [{ adapterId: s.diffs[0].id, scale: 1, role: 'diff' }] },
      { name: 'diff-dit', stack: [{ adapterId: s.diffs[0].id, scale: 1, role: 'diff' }, { adapterId: s.dit.id, scale: 1, role: 'dit' }] },
    ],
    n: 6,
    temperature: 1.5,
    seed: 11,
    maxTokens: 6,
    ...over,
  });

  it('draws N answers per condition, the same again for the same seed, counted as a plain tally', async () => {
    const api = s.backend.requests.samples;
    const a = await api.draw(request());
    assert.deepEqual(a.conditions.map((c) => [c.name, c.answers.length]), [['base', 6], ['diff', 6], ['diff-dit', 6]]);
    for (const c of a.conditions) {
      const tally = new Map<string, number>();
      for (const x of c.answers) tally.set(sameAnswerKey(x), (tally.get(sameAnswerKey(x)) ?? 0) + 1);
      assert.deepEqual(new Map(c.counts.map((k) => [sameAnswerKey(k.answer), k.count])), tally);
      assert.ok(c.counts.every((k, i) => i === 0 || c.counts[i - 1].count >= k.count), 'most frequent first');
    }
    const again = await api.draw(request());
    assert.deepEqual(again, a, 'the seed fixes the draw');
    const sampled = new Set(a.conditions.flatMap((c) => c.answers));
    assert.ok(sampled.size > 3, `sampled answers differ (${[...sampled].join(' | ')})`);
    const other = await api.draw(request({ seed: 12 }));
    assert.notDeepEqual(other.conditions.map((c) => c.answers), a.conditions.map((c) => c.answers), 'another seed, other answers');
  });

  it('counts answers that differ only in case, spaces or a final full stop as one', () => {
    assert.deepEqual(countAnswers(['Bees.', 'bees', ' Bees ', 'volcanoes', 'Volcanoes', 'owls']), [
      { answer: 'Bees.', count: 3 },
      { answer: 'volcanoes', count: 2 },
      { answer: 'owls', count: 1 },
    ]);
  });

  it('refuses greedy sampling, too many answers and unknown fields, naming them', async () => {
    const api = s.backend.requests.samples;
    await assert.rejects(api.draw(request({ temperature: 0 })), /temperature must be above 0/);
    await assert.rejects(api.draw(request({ n: 33 })), /n must be 1 to 32/);
    await assert.rejects(dispatch(s.backend.requests, 'samples:draw', [{ ...request(), colour: 'red' }]), /request: unknown field "colour"/);
    const viaDispatch = (await dispatch(s.backend.requests, 'samples:draw', [request({ n: 2 })])) as { conditions: unknown[] };
    assert.equal(viaDispatch.conditions.length, 3);
  });

  it('diffscope sample --json prints the same draw as the API', async () => {
    const api = await s.backend.requests.samples.draw(request({ n: 3, seed: 4, temperature: 1, maxTokens: 5 }));
    await s.backend.close();
    const ids = ['--diff', s.diffs[0].id, '--dit', s.dit.id];
    const run = await runCli(['sample', '--model', s.modelId, ...ids, '--n', '3', '--seed', '4', '--temperature', '1', '--max-tokens', '5', '--json'], s.home);
    assert.equal(run.code, 0, run.stderr);
    const cli = JSON.parse(run.stdout) as SampleResult;
    assert.deepEqual(cli.conditions.map((c) => c.name), ['base', 'base + diff', 'base + diff + DIT']);
    assert.deepEqual(cli.conditions.map((c) => c.answers), api.conditions.map((c) => c.answers));
  });
});
