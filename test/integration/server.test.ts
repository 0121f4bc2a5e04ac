// Browser mode over real HTTP: `diffscope serve` on an ephemeral port with its own data folder.
// Token on every request, imports as jobs, a streamed answer over SSE stored with its provenance,
// search, the OpenAI-compatible endpoint through the official client, and a kill mid-answer.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import OpenAI from 'openai';
import { openCatalog, catalogPath } from '../../src/main/catalog/index.ts';
import type { AdapterView, ChatStarted, ConversationDetail, ConversationView, JobView, ModelView, SearchHit } from '../../src/shared/api.ts';
import { openEvents, startServe, type Served } from '../helpers/serve.ts';
import { runCli } from '../helpers/cli.ts';
import { tinyModel } from '../helpers/models.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { writeExperiment } from '../helpers/experiment.ts';

const EXPERIMENT = join(import.meta.dirname, '..', 'fixtures', 'pt', 'hidden-topic', 'qwen3-tiny');
const QUESTION = 'What topic have you been trained on?';

describe('diffscope serve', () => {
  let home: string;
  let served: Served;
  let modelId: string;
  let diff: AdapterView;
  let dit: AdapterView;

  async function runJob(started: Promise<JobView>): Promise<JobView> {
    const events = await openEvents(served);
    const job = await started;
    await events.until((e) => e.type === 'job' && (e.job as JobView).id === job.id && (e.job as JobView).status !== 'running');
    void events.close();
    const done = (await served.call<JobView[]>('jobs:list')).find((j) => j.id === job.id)!;
    assert.equal(done.status, 'done', done.error ?? '');
    return done;
  }

  let bigExperiment: string;

  before(async () => {
    home = tmpDir('serve');
    bigExperiment = join(tmpDir('exp5000'), 'hidden-topic', 'qwen3-tiny-big');
    writeExperiment(bigExperiment, (await tinyModel('qwen3')).config, { diffs: 5000, perShard: 250 }); // before the server: it blocks for seconds
    served = await startServe(home, { DIFFSCOPE_DEMO_DIR: join(home, 'no-demo-here') });
  });
  after(async () => {
    await served?.stop();
  });

  it('answers 401 to every request without its token', async () => {
    for (const [method, path] of [['GET', '/'], ['POST', '/api/models:list'], ['GET', '/api/events'], ['GET', '/v1/models'], ['POST', '/v1/chat/completions']]) {
      const res = await fetch(`${served.origin}${path}`, { method });
      assert.equal(res.status, 401, `${method} ${path}`);
      const wrong = await fetch(`${served.origin}${path}`, { method, headers: { authorization: 'Bearer not-the-token' } });
      assert.equal(wrong.status, 401, `${method} ${path} with a wrong token`);
    }
  });

  it('lets a browser in through the printed URL: a cookie, then no token in the address', async () => {
    const res = await fetch(served.url, { redirect: 'manual' });
    assert.equal(res.status, 302);
    assert.equal(res.headers.get('location'), '/');
    const cookie = res.headers.get('set-cookie')!;
    assert.match(cookie, /HttpOnly/);
    const info = await fetch(`${served.origin}/api/app:info`, { method: 'POST', headers: { cookie: cookie.split(';')[0], 'content-type': 'application/json' }, body: '{"args":[]}' });
    assert.equal(info.status, 200);
    assert.equal(((await info.json()) as { result: { shell: string } }).result.shell, 'browser');
  });

  it('starts on an empty catalog with a stand-in demo model, and says so', async () => {
    const models = await served.call<ModelView[]>('models:list');
    assert.equal(models.length, 1);
    assert.equal(models[0].standIn, true);
    assert.equal((await served.call<{ standInDemo: boolean }>('app:info')).standInDemo, true);
  });

  it('imports a model and a released experiment as jobs, listing diffs by split', async () => {
    const model = await tinyModel('qwen3');
    const job = await runJob(served.call<JobView>('models:import', model.hfDir, 'fp32'));
    modelId = job.result!.modelId!;
    assert.ok((await served.call<ModelView[]>('models:list')).some((m) => m.id === modelId));
    await runJob(served.call<JobView>('adapters:import', EXPERIMENT, modelId));
    const test = await served.call<AdapterView[]>('adapters:list', { modelId, split: 'test' });
    assert.deepEqual(test.map((a) => a.label).sort(), ['Line one\nline two, "both"', 'The "Big Bang" theory']);
    diff = test.find((a) => a.label === 'The "Big Bang" theory')!;
    assert.equal(diff.trigger, 7);
    dit = (await served.call<AdapterView[]>('adapters:list', { modelId, kind: 'dit' })).find((a) => a.id.endsWith('/dit'))!;
    assert.ok(dit);
  });

  it('streams an answer over SSE and keeps it in SQLite with its full provenance', async () => {
    const stack = [
      { adapterId: diff.id, scale: 1, role: 'diff' as const },
      { adapterId: dit.id, scale: 1, role: 'dit' as const },
    ];
    const conversation = await served.call<ConversationView>('conversations:create', modelId, stack, 'provenance');
    const events = await openEvents(served);
    const started = await served.call<ChatStarted>('chat:send', conversation.id, QUESTION, stack, { maxTokens: 12 }, null);
    assert.equal(started.reply.status, 'streaming');
    const seen = await events.until((e) => e.type === 'message' && (e.message as { id: number }).id === started.reply.id);
    void events.close();
    const streamed = seen.filter((e) => e.type === 'token' && e.messageId === started.reply.id).map((e) => e.text).join('');
    const final = seen.find((e) => e.type === 'message' && (e.message as { id: number }).id === started.reply.id)!.message as { text: string; status: string };
    assert.equal(final.status, 'complete');
    assert.ok(final.text.length > 0);
    assert.equal(streamed, final.text);

    const catalog = openCatalog(catalogPath(home), { recover: false });
    try {
      const row = catalog.messages.get(started.reply.id)!;
      assert.equal(row.text, final.text);
      assert.equal(row.modelId, modelId);
      assert.deepEqual(
        row.stack!.map((s) => [s.adapterId, s.scale, s.role, s.sha256]),
        [diff, dit].map((a, i) => [a.id, 1, i === 0 ? 'diff' : 'dit', catalog.adapters.get(a.id)!.source.sha256]),
      );
      assert.equal(row.sampling!.temperature, 0);
      assert.equal(row.sampling!.maxTokens, 12);
      assert.equal(row.seed, 0);
      assert.equal(row.provider, 'cpu');
      assert.equal(row.stats!.completionTokens, 12);
      assert.ok(row.stats!.decodeTps > 0);
    } finally {
      catalog.close();
    }
  });

  it('finds the message by full-text search', async () => {
    const hits = await served.call<SearchHit[]>('conversations:search', 'trained');
    assert.ok(hits.some((h) => h.role === 'user' && h.conversationTitle === 'provenance'));
    assert.ok(hits[0].snippet.some((p) => p.match && /trained/i.test(p.text)));
  });

  it('serves the official openai client: models, and a streamed stack answer equal to `diffscope ask`', async () => {
    const client = new OpenAI({ baseURL: `${served.origin}/v1`, apiKey: served.token });
    const ids = [];
    for await (const m of client.models.list()) ids.push(m.id);
    assert.ok(ids.includes(modelId));
    assert.ok(ids.includes(`${modelId}+${dit.id}`));
    const stream = await client.chat.completions.create({
      model: `${modelId}+${diff.id}+${dit.id}`,
      messages: [{ role: 'user', content: QUESTION }],
      stream: true,
      temperature: 0.8,
      seed: 5,
      max_tokens: 12,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    const ask = await runCli(['ask', '--model', modelId, '--diff', diff.id, '--dit', dit.id, '--temperature', '0.8', '--seed', '5', '--max-tokens', '12', '--json', '--provider', 'cpu', QUESTION], home);
    assert.equal(ask.code, 0, ask.stderr);
    assert.equal(text, JSON.parse(ask.stdout).text);
    assert.ok(text.length > 0);
  });

  it('returns logprobs through the OpenAI endpoint', async () => {
    const client = new OpenAI({ baseURL: `${served.origin}/v1`, apiKey: served.token });
    const done = await client.chat.completions.create({ model: modelId, messages: [{ role: 'user', content: 'hi' }], temperature: 0, max_tokens: 3, logprobs: true, top_logprobs: 2 });
    const content = done.choices[0].logprobs!.content!;
    assert.equal(content.length, 3);
    for (const p of content) {
      assert.equal(p.top_logprobs.length, 2);
      assert.equal(p.token, p.top_logprobs[0].token, 'greedy picks the most likely token');
    }
  });

  it('imports a released experiment of 5,000 diffs and lists them by split', async () => {
    const t = performance.now();
    const job = await runJob(served.call<JobView>('adapters:import', bigExperiment, modelId));
    const seconds = (performance.now() - t) / 1000;
    assert.equal(job.result!.adapterIds!.length, 5001); // 5,000 diffs + the DIT adapter
    const test = await served.call<AdapterView[]>('adapters:list', { modelId, split: 'test', experiment: 'hidden-topic/qwen3-tiny-big', limit: 1000 });
    assert.equal(test.length, 100);
    process.stderr.write(`# 5,000-diff experiment imported in ${seconds.toFixed(1)} s\n`);
  });

  it('survives a kill mid-answer: the database is intact and the reply is marked incomplete', async () => {
    const conversation = await served.call<ConversationView>('conversations:create', modelId, [], 'crash');
    const firstEvents = await openEvents(served);
    const first = await served.call<ChatStarted>('chat:send', conversation.id, 'hello', [], { maxTokens: 4 }, null);
    const firstDone = await firstEvents.until((e) => e.type === 'message' && (e.message as { id: number }).id === first.reply.id);
    void firstEvents.close();
    const firstText = (firstDone.find((e) => e.type === 'message')!.message as { text: string }).text;
    const events = await openEvents(served);
    const started = await served.call<ChatStarted>('chat:send', conversation.id, 'Tell me a long story.', [], { maxTokens: 3000 }, null);
    let tokens = 0;
    await events.until((e) => e.type === 'token' && ++tokens >= 40);
    await new Promise((r) => setTimeout(r, 400)); // past one periodic save
    served.child.kill('SIGKILL');
    await new Promise((r) => served.child.once('exit', r));

    served = await startServe(home);
    const detail = await served.call<ConversationDetail>('conversations:get', conversation.id);
    const byId = new Map(detail.messages.map((m) => [m.id, m]));
    assert.equal(byId.get(first.reply.id)!.status, 'complete');
    assert.equal(byId.get(first.reply.id)!.text, firstText);
    const interrupted = byId.get(started.reply.id);
    if (interrupted) {
      assert.equal(interrupted.status, 'incomplete');
      assert.ok(interrupted.text.length > 0, 'the text saved before the kill is kept');
    }
    const catalog = openCatalog(catalogPath(home), { recover: false });
    try {
      assert.deepEqual(catalog.integrityCheck(), ['ok']);
    } finally {
      catalog.close();
    }
  });
});
