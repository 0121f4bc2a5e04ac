// The LLM judge over real HTTP: a fake judge in this test speaks the OpenAI chat-completions
// protocol (a score for some labels, words for others, a topic guess for 20 questions). Replies in
// words score 1 with the raw answer kept; the key travels as a Bearer token; 20 questions and the
// news setting's "generated story" run through the judge; agreement with a person's grades comes out of the API. A catalog model as
// the local judge too.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ChatStarted } from '../../src/shared/api.ts';
import { evalSetup, type EvalSetup } from '../helpers/eval-backend.ts';

interface Seen {
  auth: string | undefined;
  model: string;
  prompt: string;
}

/** The fake judge: "topic 1" -> words, 20-question transcripts -> a guess, a story -> a headline, anything else -> "4". */
function fakeJudge(seen: Seen[]): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const r = JSON.parse(body) as { model: string; messages: { content: string }[] };
      const prompt = r.messages[0].content;
      seen.push({ auth: req.headers.authorization, model: r.model, prompt });
      const content = prompt.includes('hidden topic') ? 'topic 2' : prompt.includes('headline the story reports') ? 'Topic 0 wins the cup\n(summary)' : prompt.includes('TRUE LABEL: topic 1\n') ? 'These two are rather similar, I would say.' : '4';
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 'x', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }] }));
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1` })));
}

describe('LLM judge', () => {
  let s: EvalSetup;
  let judge: { server: Server; url: string };
  const seen: Seen[] = [];

  before(async () => {
    s = await evalSetup({ diffs: 3 });
    judge = await fakeJudge(seen);
  });
  after(async () => {
    await s?.backend.close();
    judge?.server.close();
  });

  it('is configured with a URL, a model and a key kept outside the catalog', async () => {
    const api = s.backend.requests.grades;
    assert.deepEqual(await api.getJudge(), { judge: null, hasKey: false, keyStorage: 'environment' });
    await api.setJudge({ kind: 'openai', baseUrl: judge.url, model: 'fake-judge' });
    const view = await api.setJudgeKey('sk-test');
    assert.equal(view.hasKey, true);
    assert.equal(view.keyStorage, 'memory');
    assert.doesNotMatch(JSON.stringify(s.backend.ctx.catalog.settings.all()), /sk-test/);
  });

  it('grades chat replies: a number is the score, words score 1, the raw reply is kept', async () => {
    const api = s.backend.requests;
    const stack = (i: number) => [{ adapterId: s.diffs[i].id, scale: 1, role: 'diff' as const }, { adapterId: s.dit.id, scale: 1, role: 'dit' as const }];
    const c = await api.conversations.create(s.modelId, stack(0), 'judged');
    const grades = [];
    for (const i of [0, 1]) {
      const started: ChatStarted = await api.chat.send(c.id, 'What topic have you been trained on?', stack(i), { maxTokens: 6 }, null);
      await s.backend.chat.settled(started.reply.id);
      grades.push(await api.grades.judge(started.reply.id));
      const lexical = await api.grades.lexical(started.reply.id);
      assert.equal(lexical.method, 'lexical');
    }
    assert.equal(s.diffs[1].label, 'topic 1');
    assert.deepEqual(grades.map((g) => [g.score, g.judgeModel, g.reference]), [[4, 'fake-judge', 'topic 0'], [1, 'fake-judge', 'topic 1']]);
    assert.equal(grades[1].rawAnswer, 'These two are rather similar, I would say.');
    assert.match(grades[1].note!, /not answer with a number/);
    assert.ok(seen.every((x) => x.auth === 'Bearer sk-test' && x.model === 'fake-judge'));
    assert.match(seen[0].prompt, /conservative/);

    await api.grades.set(grades[0].messageId, 4, null);
    await api.grades.set(grades[1].messageId, 3, 'close enough');
    const agree = await api.grades.agreement({ conversationId: c.id });
    assert.deepEqual([agree.pairs, agree.exact, agree.meanAbsDiff, agree.judgeModels], [2, 0.5, 1, ['fake-judge']]);
  });

  it('runs an evaluation with the judge, 20 questions included', async () => {
    seen.length = 0;
    const run = s.backend.evals.start({
      modelId: s.modelId,
      ditAdapterId: s.dit.id,
      selection: { adapterIds: s.diffs.map((d) => d.id) },
      methods: ['dit', '20q-trigger'],
      judge: { kind: 'openai', baseUrl: judge.url, model: 'fake-judge' },
      batch: 8,
    });
    const done = await s.backend.evals.wait(run.id);
    assert.equal(done.status, 'done', done.error ?? '');
    const items = s.backend.evals.items(run.id, {});
    assert.equal(items.length, 6);
    for (const i of items) {
      assert.equal(i.gradeMethod, 'judge');
      assert.deepEqual(i.grades.map((g) => g.method).sort(), ['judge', 'lexical']);
      assert.equal(i.score, i.label === 'topic 1' ? 1 : 4);
    }
    const twenty = items.filter((i) => i.method === '20q-trigger');
    assert.ok(twenty.every((i) => i.answer === 'topic 2' && i.transcript!.length === 20 && i.transcript!.every((t) => t.question.startsWith('Your SEP code is'))));
    assert.equal(twenty.find((i) => i.label === 'topic 2')!.exact, true);
    assert.equal(seen.filter((x) => x.prompt.includes('hidden topic')).length, 3, 'one guess per diff');
    assert.equal(seen.filter((x) => x.prompt.includes('TRUE LABEL')).length, 6, 'one grade per item');

    for (const i of items) await s.backend.requests.evals.gradeItem(i.id, 4, null);
    const agree = await s.backend.requests.grades.agreement({ evalRunId: run.id });
    assert.equal(agree.pairs, 6);
    assert.equal(agree.exact, 4 / 6);
    const results = s.backend.evals.results(run.id);
    assert.equal(results.methods.find((m) => m.method === '20q-trigger')!.grader, 'judge');
  });

  it('runs the generated-story baseline: the diff writes a story, the judge names its headline, that headline is graded', async () => {
    seen.length = 0;
    const request = { modelId: s.modelId, ditAdapterId: s.dit.id, selection: { adapterIds: s.diffs.map((d) => d.id) }, methods: ['story' as const], batch: 8, maxTokens: 12 };
    const run = s.backend.evals.start({ ...request, judge: { kind: 'openai', baseUrl: judge.url, model: 'fake-judge' } });
    const done = await s.backend.evals.wait(run.id);
    assert.equal(done.status, 'done', done.error ?? '');
    const items = s.backend.evals.items(run.id, {});
    assert.equal(items.length, 3);
    for (const i of items) {
      assert.equal(i.answer, 'Topic 0 wins the cup', 'the first line of the judge\'s headline is the answer');
      assert.equal(i.transcript!.length, 1);
      assert.equal(i.transcript![0].question, 'Please generate a short news story.');
      assert.equal(i.exact, i.label === 'topic 0');
    }
    const asked = seen.filter((x) => x.prompt.includes('headline the story reports'));
    assert.equal(asked.length, 3, 'one headline per diff');
    assert.ok(items.every((i) => asked.some((x) => x.prompt.endsWith(`STORY: ${i.transcript![0].answer}`))), 'the judge reads the story the diff wrote');

    const offline = s.backend.evals.start({ ...request, methods: ['story', 'base'], judge: null });
    await s.backend.evals.wait(offline.id);
    const story = s.backend.evals.results(offline.id).methods.find((m) => m.method === 'story')!;
    assert.match(story.unavailable ?? '', /needs an LLM judge to summarise the story the finetuned model writes/);
  });

  it('uses a model of the catalog as a local judge (a random one answers in words: 1)', async () => {
    await s.backend.requests.grades.setJudge({ kind: 'local', modelId: s.modelId });
    const c = (await s.backend.requests.conversations.list()).find((x) => x.title === 'judged')!;
    const reply = (await s.backend.requests.conversations.get(c.id)).messages.find((m) => m.role === 'assistant')!;
    const g = await s.backend.requests.grades.judge(reply.id);
    assert.equal(g.judgeModel, s.modelId);
    assert.ok(g.rawAnswer !== null && g.rawAnswer !== undefined);
    assert.equal(g.score, /^\s*[1-5]\s*$/.test(g.rawAnswer!) ? Number(g.rawAnswer) : 1);
  });
});
