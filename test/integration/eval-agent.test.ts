// The agent auditor end to end, against a SCRIPTED OpenAI-compatible stand-in for the remote LLM
// (the agent and the judge) over real HTTP; the models it queries are the real engine with real
// diffs. The stand-in agent makes one query per reply and states "GUESS: guess k" after k queries;
// the stand-in judge scores "guess k" as k (at most 5). Every guess is graded and stored, the curve
// of score by queries used comes out of the results, prompts over 500 characters are refused, a
// run cancelled in the middle of an audit resumes without redoing finished audits, and the run
// exports as an Inspect AI log with the agent's tool calls as messages.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import AdmZip from 'adm-zip';
import { Ajv, type ValidateFunction } from 'ajv';
import type { EvalItemView } from '../../src/shared/api.ts';
import { exportEvalRun } from '../../src/main/services/export.ts';
import { evalSetup, type EvalSetup } from '../helpers/eval-backend.ts';
import { scriptedStandIn, type StandIn } from '../helpers/scripted-agent.ts';

interface Msg {
  role: string;
  content: string | null;
  tool_calls?: unknown[];
}

describe('agent auditor (scripted OpenAI-compatible stand-in for the agent and the judge)', () => {
  let s: EvalSetup;
  let standIn: StandIn;

  before(async () => {
    s = await evalSetup({ diffs: 3 });
    standIn = await scriptedStandIn();
  });
  after(async () => {
    await s?.backend.close();
    standIn?.server.close();
  });

  it('audits every diff with its budget, grades every guess, resumes after a cancel, and exports', async () => {
    const api = s.backend.requests.evals;
    const gate = standIn.hold(2); // the second audit waits until the run is being cancelled
    const run = await api.start({
      modelId: s.modelId,
      ditAdapterId: s.dit.id,
      selection: { experiment: s.experiment },
      methods: ['dit', 'agent', 'agent-dit'],
      judge: { kind: 'openai', baseUrl: standIn.url, model: 'scripted-judge' },
      agent: { baseUrl: standIn.url, model: 'scripted-agent', budget: 3, answerTokens: 8 },
      batch: 2, // one audit at a time: 2 rows per query
    });
    assert.deepEqual(run.settings.agent, { baseUrl: standIn.url, model: 'scripted-agent', budget: 3, answerTokens: 8 });
    await gate.reached;
    const cancelling = api.cancel(run.id);
    gate.release();
    assert.equal((await cancelling).status, 'paused');
    const first = (await api.items(run.id, { method: 'agent', status: 'done' })) as EvalItemView[];
    assert.equal(first.length, 1, 'the first audit finished before the cancel, the second did not');

    await api.resume(run.id);
    const done = await s.backend.evals.wait(run.id);
    assert.equal(done.status, 'done', done.error ?? '');

    const items = await api.items(run.id, {});
    const agentItems = items.filter((i) => i.method === 'agent' || i.method === 'agent-dit');
    assert.equal(agentItems.length, 6);
    for (const i of agentItems) {
      assert.equal(i.status, 'done');
      const steps = i.agentSteps!;
      assert.deepEqual(steps.map((x) => x.step), [1, 2, 3], 'the budget of 3 queries, all used');
      assert.deepEqual(steps.map((x) => x.guess), ['guess 1', 'guess 2', 'guess 3'], 'a guess after every query');
      assert.deepEqual(steps.map((x) => x.score), [1, 2, 3], 'the judge graded every guess');
      assert.ok(steps.every((x) => x.judgeModel === 'scripted-judge' && x.finetunedAnswer.length > 0));
      assert.deepEqual(steps.map((x) => x.tool), i.method === 'agent-dit' ? ['dit', 'ask', 'ask'] : ['ask', 'ask', 'ask']);
      for (const x of steps.filter((y) => y.tool === 'ask')) assert.equal(typeof x.baseAnswer, 'string', 'base and finetuned answers side by side');
      assert.equal(i.answer, 'guess 3', 'the final guess is the answer');
      assert.equal(i.score, 3);
      assert.equal(i.grades.filter((g) => g.method === 'judge').length, 1);
    }
    // the audit finished before the cancel kept its steps
    assert.deepEqual(agentItems.find((i) => i.id === first[0].id)!.agentSteps, first[0].agentSteps);
    assert.ok(standIn.toolResults.some((t) => /at most 500/.test(t)), 'a prompt over 500 characters is refused');
    assert.ok(standIn.toolResults.some((t) => t.includes('"base_model"') && t.includes('"finetuned_model"')));

    const results = await api.results(run.id);
    const agent = results.methods.find((m) => m.method === 'agent')!;
    assert.equal(agent.title, 'agent');
    assert.deepEqual(agent.curve, [
      { queries: 1, mean: 1, n: 3 },
      { queries: 2, mean: 2, n: 3 },
      { queries: 3, mean: 3, n: 3 },
    ]);
    assert.equal(agent.mean, 3);
    assert.deepEqual(results.methods.map((m) => m.title), ['DIT', 'agent', 'agent + DIT']);

    // the Inspect AI log: the agent's queries as tool calls and tool messages, schema-valid
    const file = exportEvalRun(s.backend.ctx, s.backend.evals, run.id, 'inspect');
    const zip = new AdmZip(Buffer.from(file.content, 'base64'));
    const ajv = new Ajv({ allErrors: true, strict: false });
    ajv.addSchema(JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'inspect', 'eval-log.schema.json'), 'utf8')));
    const sampleCheck = ajv.getSchema('inspect-eval-log#/definitions/evalSample') as ValidateFunction;
    const audited = JSON.parse(zip.readAsText(`samples/${agentItems[0].id}_epoch_1.json`)) as { messages: Msg[]; metadata: { agent_steps: unknown[] } };
    assert.ok(sampleCheck(audited), ajv.errorsText(sampleCheck.errors));
    assert.equal(audited.messages.filter((m) => m.role === 'tool').length, 3);
    assert.equal(audited.messages.filter((m) => m.tool_calls).length, 3);
    assert.equal(audited.metadata.agent_steps.length, 3);
    const header = JSON.parse(zip.readAsText('header.json')) as { results: { scores: { name: string; metrics: Record<string, { value: number }> }[] } };
    assert.equal(header.results.scores.find((x) => x.name === 'agent')!.metrics.mean.value, 3);

    // the reports carry the curve and every audit
    const md = exportEvalRun(s.backend.ctx, s.backend.evals, run.id, 'md').content;
    assert.match(md, /## Agent: mean grade by queries used\n\n\| queries \| agent \| agent \+ DIT \|\n\|---:\|---:\|---:\|\n\| 1 \| 1\.00 \| 1\.00 \|\n\| 2 \| 2\.00 \| 2\.00 \|\n\| 3 \| 3\.00 \| 3\.00 \|/);
    assert.equal(md.match(/^### .*\((agent|agent-dit)\), label: /gm)?.length, 6, 'one audit section per agent item');
    const html = exportEvalRun(s.backend.ctx, s.backend.evals, run.id, 'html').content;
    assert.match(html, /aria-label="Agent: mean grade by queries used"/);
    assert.equal(html.match(/<details><summary>/g)?.length, 6);
  });

  it('is listed unavailable, with why, without an agent endpoint', async () => {
    const run = await s.backend.requests.evals.start({ modelId: s.modelId, ditAdapterId: s.dit.id, selection: { experiment: s.experiment }, methods: ['dit', 'agent'], judge: null, batch: 4 });
    await s.backend.evals.wait(run.id);
    const r = await s.backend.requests.evals.results(run.id);
    assert.match(r.methods.find((m) => m.method === 'agent')!.unavailable!, /agent/);
  });
});
