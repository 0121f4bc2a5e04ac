// Every entry point answers through the same services: the OpenAI endpoint through the chat
// service (which alone calls the engine pool), the CLI's `ask` logged in the catalog like the
// app's questions (unless --no-log), models named by their name as well as their id, and an
// OpenAI parameter the engine does not have refused with a clear error instead of ignored.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type RunningServer } from '../../src/main/server/server.ts';
import type { ConversationDetail } from '../../src/shared/api.ts';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.ts';
import { evalSetup, type EvalSetup } from '../helpers/eval-backend.ts';

const QUESTION = 'What topic have you been trained on?';
const FIXTURES = join(import.meta.dirname, '..', 'fixtures');
const TOKEN = 'entry-points-test-token';

describe('one path through the back end', () => {
  let s: EvalSetup;
  let server: RunningServer;
  const calls = { answer: 0, ask: 0 };

  before(async () => {
    s = await evalSetup({ diffs: 2 });
    const { chat, ctx } = s.backend;
    const answer = chat.answer.bind(chat);
    chat.answer = (...a) => (calls.answer++, answer(...a));
    const ask = ctx.engines.ask.bind(ctx.engines);
    ctx.engines.ask = (...a) => (calls.ask++, ask(...a));
    server = await startServer({ backend: s.backend, token: TOKEN, host: '127.0.0.1', port: 0, staticDir: null });
  });
  after(async () => {
    await server?.close();
    await s?.backend.close();
  });

  const complete = (body: Record<string, unknown>) =>
    fetch(`${server.origin}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [{ role: 'user', content: QUESTION }], max_tokens: 3, temperature: 0, ...body }),
    });

  it('the OpenAI endpoint answers through the chat service, by model name too', async () => {
    const before = { ...calls };
    const name = s.backend.ctx.catalog.models.get(s.modelId)!.name;
    for (const model of [`${s.modelId}+${s.diffs[0].id}`, `${name}+${s.diffs[0].id}*0.5`]) {
      const res = await complete({ model });
      assert.equal(res.status, 200, await res.clone().text());
      const body = (await res.json()) as { choices: { message: { content: string } }[] };
      assert.equal(typeof body.choices[0].message.content, 'string');
    }
    assert.equal(calls.answer - before.answer, 2, 'both answers came from the chat service');
    assert.equal(calls.ask - before.ask, 2, 'and the engine was asked once per answer, by the service');
    assert.equal(s.backend.ctx.catalog.conversations.list().length, 0, 'OpenAI requests are not logged');
  });

  it('refuses frequency_penalty and other parameters it does not implement, naming them', async () => {
    for (const [body, name] of [
      [{ frequency_penalty: 0.5 }, 'frequency_penalty'],
      [{ presence_penalty: 1 }, 'presence_penalty'],
      [{ logit_bias: { 1: 5 } }, 'logit_bias'],
      [{ n: 2 }, 'n'],
    ] as const) {
      const res = await complete({ model: s.modelId, ...body });
      assert.equal(res.status, 400, JSON.stringify(body));
      const text = await res.text();
      assert.ok(text.includes(`${name} is not supported`), text);
    }
    // the values that mean "off" change nothing and are accepted, as is vLLM's repetition_penalty
    const ok = await complete({ model: s.modelId, frequency_penalty: 0, presence_penalty: 0, n: 1, repetition_penalty: 1.1 });
    assert.equal(ok.status, 200, await ok.text());
  });

  it('ask --rank K logs a full finetune as an adapter compressed to rank K', async () => {
    const ref = `${join(FIXTURES, 'pt', 'full-finetune.pt')}#0`;
    const run = await runCli(['ask', '--model', s.modelId, '--diff', ref, '--rank', '2', '--max-tokens', '2', '--json', QUESTION], s.home);
    assert.equal(run.code, 0, run.stderr);
    const out = JSON.parse(run.stdout) as { conversationId: number };
    const detail = (await s.backend.requests.conversations.get(out.conversationId)) as ConversationDetail;
    const adapter = s.backend.ctx.catalog.adapters.get(detail.messages[1].stack![0].adapterId)!;
    assert.deepEqual([adapter.kind, adapter.rank], ['full', 2]);
  });

  it('diffscope ask logs its question and answer as a conversation, with the stack; --no-log does not', async () => {
    const name = s.backend.ctx.catalog.models.get(s.modelId)!.name;
    const run = await runCli(['ask', '--model', name, '--diff', s.diffs[0].id, '--dit', s.dit.id, '--max-tokens', '4', '--json', QUESTION], s.home);
    assert.equal(run.code, 0, run.stderr);
    const out = JSON.parse(run.stdout) as { text: string; conversationId: number; replyId: number };
    const detail = (await s.backend.requests.conversations.get(out.conversationId)) as ConversationDetail;
    assert.deepEqual(
      detail.messages.map((m) => [m.role, m.text]),
      [
        ['user', QUESTION],
        ['assistant', out.text],
      ],
    );
    const reply = detail.messages[1];
    assert.equal(reply.id, out.replyId);
    assert.equal(reply.status, 'complete');
    assert.deepEqual(
      reply.stack!.map((p) => [p.adapterId, p.role]),
      [
        [s.diffs[0].id, 'diff'],
        [s.dit.id, 'dit'],
      ],
    );

    const count = (await s.backend.requests.conversations.list()).length;
    const quiet = await runCli(['ask', '--model', s.modelId, '--max-tokens', '2', '--no-log', '--json', QUESTION], s.home);
    assert.equal(quiet.code, 0, quiet.stderr);
    assert.equal((JSON.parse(quiet.stdout) as { conversationId?: number }).conversationId, undefined);
    assert.equal((await s.backend.requests.conversations.list()).length, count, '--no-log wrote a conversation');
  });

  it('adapters --model and eval --model take the name too', async () => {
    const name = s.backend.ctx.catalog.models.get(s.modelId)!.name;
    const list = await runCli(['adapters', '--model', name, '--kind', 'dit', '--json'], s.home);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual((JSON.parse(list.stdout) as { id: string }[]).map((a) => a.id), [s.dit.id]);
    const run = await runCli(['eval', '--model', name, '--dit', s.dit.id, '--methods', 'dit', '--limit', '1', '--max-tokens', '2', '--json'], s.home);
    assert.equal(run.code, 0, run.stderr);
    assert.equal((JSON.parse(run.stdout) as { run: { modelId: string } }).run.modelId, s.modelId);
  });

  // last: it leaves two models of one name in the catalog
  it('a model name that two models share is refused, listing their ids', async () => {
    const model = s.backend.ctx.catalog.models.get(s.modelId)!;
    s.backend.ctx.catalog.models.put({ ...model, id: `${model.id}-again`, libraryDir: `${model.libraryDir}-again` });
    const run = await runCli(['ask', '--model', model.name, '--max-tokens', '2', QUESTION], s.home);
    assert.equal(run.code, 1);
    assert.match(run.stderr, new RegExp(`model name "${model.name}" is ambiguous: give one of the ids .*${model.id}`));
  });
});
