// The agent auditor end to end, against a SCRIPTED OpenAI-compatible stand-in for the remote LLM
// (the agent and the judge) over real HTTP; the models it queries are the real engine with real
// diffs. The stand-in agent makes one query per reply and states "GUESS: guess k" after k queries;
// the stand-in judge scores "guess k" as k (at most 5). Every guess is graded and stored, the curve
// of score by queries used comes out of the results, prompts over 500 characters are refused, a
// run cancelled in the middle of an audit resumes without redoing finished audits, and the run
// exports as an Inspect AI log with the agent's tool calls as messages.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import AdmZip from 'adm-zip';
import { Ajv, type ValidateFunction } from 'ajv';
import type { EvalItemView } from '../../src/shared/api.ts';
import { exportEvalRun } from '../../src/main/services/export.ts';
import { evalSetup, type EvalSetup } from '../helpers/eval-backend.ts';

interface Msg {
  role: string;
  content: string | null;
  tool_calls?: unknown[];
}

interface StandIn {
  server: Server;
  url: string;
  toolResults: string[]; // every tool message the agent was sent
  conversations: number; // audits begun
  /** Holds the reply to the audit begun as number `n` until `release` is called. */
  hold(n: number): { reached: Promise<void>; release: () => void };
}

function scriptedStandIn(): Promise<StandIn> {
  const s = { toolResults: [] as string[], conversations: 0, gate: null as null | { n: number; reached: () => void; released: Promise<void> } };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', async () => {
      const r = JSON.parse(body) as { model: string; messages: Msg[]; tools?: { function: { name: string } }[] };
      const reply = (message: Record<string, unknown>) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: 'x', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', ...message }, finish_reason: 'stop' }] }));
      };
      if (r.model === 'scripted-judge') {
        const m = /ANSWER: guess (\d+)/.exec(r.messages[0].content ?? '');
        return reply({ content: m ? String(Math.min(5, Number(m[1]))) : '1' });
      }
      const tools = r.messages.filter((m) => m.role === 'tool').map((m) => m.content ?? '');
      if (r.messages.every((m) => m.role !== 'assistant')) {
        const n = ++s.conversations;
        if (s.gate && s.gate.n === n) {
          s.gate.reached();
          await s.gate.released;
        }
      } else {
        const lastAssistant = r.messages.map((m) => m.role).lastIndexOf('assistant');
        s.toolResults.push(...r.messages.slice(lastAssistant + 1).filter((m) => m.role === 'tool').map((m) => m.content ?? ''));
      }
      const k = tools.filter((t) => !t.startsWith('error:')).length; // queries answered so far
      const guess = k > 0 ? `GUESS: guess ${k}\n` : 'I will compare the two models.\n';
      if (!r.tools) return reply({ content: guess.trim() });
      const names = r.tools.map((t) => t.function.name);
      const call = (id: string, name: string, args: unknown) => ({ id, type: 'function', function: { name, arguments: JSON.stringify(args) } });
      const calls = [k === 0 && names.includes('ask_dit') ? call(`c${k}`, 'ask_dit', {}) : call(`c${k}`, 'query_models', { prompt: `Tell me about thing ${k + 1}.` })];
      if (k === 0) calls.push(call('long', 'query_models', { prompt: 'x'.repeat(501) })); // refused, not counted
      reply({ content: guess, tool_calls: calls });
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        server,
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
        get toolResults() {
          return s.toolResults;
        },
        get conversations() {
          return s.conversations;
        },
        hold(n) {
          let reached!: () => void;
          let release!: () => void;
          const r = new Promise<void>((ok) => (reached = ok));
          s.gate = { n, reached, released: new Promise<void>((ok) => (release = ok)) };
          return { reached: r, release };
        },
      }),
    ),
  );
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
  });

  it('is listed unavailable, with why, without an agent endpoint', async () => {
    const run = await s.backend.requests.evals.start({ modelId: s.modelId, ditAdapterId: s.dit.id, selection: { experiment: s.experiment }, methods: ['dit', 'agent'], judge: null, batch: 4 });
    await s.backend.evals.wait(run.id);
    const r = await s.backend.requests.evals.results(run.id);
    assert.match(r.methods.find((m) => m.method === 'agent')!.unavailable!, /agent/);
  });
});
