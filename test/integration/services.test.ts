// The back end's services in-process (engines in a worker thread): the message tree (regenerate
// as a sibling, edit and resend), grades, settings, export, and adapter files that moved or changed.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, renameSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { createBackend, type Backend } from '../../src/main/services/backend.ts';
import type { AdapterView, ChatStarted, MessageView, StackEntry } from '../../src/shared/api.ts';
import { tinyModel } from '../helpers/models.ts';
import { tmpDir } from '../helpers/tmp.ts';

const FIX = join(import.meta.dirname, '..', 'fixtures', 'pt', 'hidden-topic', 'qwen3-tiny');

async function settle(b: Backend, started: ChatStarted | MessageView): Promise<MessageView> {
  const reply = 'reply' in started ? started.reply : started;
  await b.chat.settled(reply.id);
  const { messages } = await b.requests.conversations.get(reply.conversationId);
  return messages.find((m) => m.id === reply.id)!;
}

describe('services', () => {
  let b: Backend;
  let modelId: string;
  let adapters: AdapterView[];
  let expDir: string;

  before(async () => {
    const home = tmpDir('services');
    b = await createBackend({ home, shell: 'browser', engineHost: 'thread', demoDir: join(home, 'none') });
    const model = await tinyModel('qwen3');
    const job = await b.requests.models.import(model.hfDir, 'fp32');
    modelId = (await b.ctx.jobs.wait(job.id)).result!.modelId!;
    // a copy of the fixture experiment that the test may move and change
    expDir = join(home, 'exp', 'hidden-topic', 'qwen3-tiny');
    mkdirSync(join(expDir, 'weight-diffs'), { recursive: true });
    for (const f of ['index.csv', 'dit-adapter.pt', join('weight-diffs', 'weight-diff-000.pt')]) copyFileSync(join(FIX, f), join(expDir, f));
    const imp = await b.requests.adapters.import(expDir, modelId);
    assert.equal((await b.ctx.jobs.wait(imp.id)).status, 'done');
    adapters = await b.requests.adapters.list({ modelId });
  });
  after(() => b?.close());

  const stackOf = (): StackEntry[] => [
    { adapterId: adapters.find((a) => a.label === 'Volcanoes')!.id, scale: 1, role: 'diff' },
    { adapterId: adapters.find((a) => a.kind === 'dit' && a.rank === 16)!.id, scale: 1, role: 'dit' },
  ];

  it('regenerates a reply as a sibling, and with sampling and a recorded seed', async () => {
    const c = await b.requests.conversations.create(modelId, stackOf(), 'tree');
    const first = await settle(b, await b.requests.chat.send(c.id, 'What topic have you been trained on?', stackOf(), { maxTokens: 6 }, null));
    const again = await settle(b, await b.requests.chat.regenerate(first.id, null, null));
    assert.equal(again.parentId, first.parentId);
    assert.equal(again.text, first.text, 'greedy: the same answer');
    const sampled = await settle(b, await b.requests.chat.regenerate(first.id, null, { temperature: 1.2, topK: 50 }));
    assert.equal(sampled.parentId, first.parentId);
    assert.ok(sampled.seed !== null && sampled.seed > 0, 'a fresh seed is recorded');
    const repeat = await settle(b, await b.requests.chat.regenerate(first.id, null, { temperature: 1.2, topK: 50, seed: sampled.seed }));
    assert.equal(repeat.text, sampled.text, 'the recorded seed reproduces the answer');
    const { messages } = await b.requests.conversations.get(c.id);
    assert.equal(messages.filter((m) => m.parentId === first.parentId).length, 4);
  });

  it('edits a question into a sibling question with its own reply, and continues the branch', async () => {
    const c = await b.requests.conversations.create(modelId, [], 'edit');
    const a = await b.requests.chat.send(c.id, 'hello', [], { maxTokens: 4 }, null);
    await settle(b, a);
    const edited = await b.requests.chat.edit(a.userMessage.id, 'hello there');
    await settle(b, edited);
    assert.equal(edited.userMessage.parentId, a.userMessage.parentId);
    const next = await b.requests.chat.send(c.id, 'and then?', [], { maxTokens: 4 }, edited.reply.id);
    await settle(b, next);
    assert.equal(next.userMessage.parentId, edited.reply.id);
  });

  it('stores a person\'s grade against the diff\'s label and exports it with the provenance', async () => {
    const c = await b.requests.conversations.create(modelId, stackOf(), 'graded');
    const reply = await settle(b, await b.requests.chat.send(c.id, 'What topic have you been trained on?', stackOf(), { maxTokens: 5 }, null));
    const grade = await b.requests.grades.set(reply.id, 4, 'close enough');
    assert.equal(grade.reference, 'Volcanoes');
    const again = await b.requests.grades.set(reply.id, 2, 'on second thought');
    const { messages } = await b.requests.conversations.get(c.id);
    assert.deepEqual(messages.find((m) => m.id === reply.id)!.grades.map((g) => [g.id === again.id, g.score]), [[true, 2]]);
    const md = await b.requests.export.conversation(c.id, 'md');
    assert.match(md.content, /grade \(human\): 2\/5 — on second thought/);
    const json = JSON.parse((await b.requests.export.conversation(c.id, 'json')).content);
    const exported = json.messages.find((m: MessageView) => m.id === reply.id);
    assert.equal(exported.stack.length, 2);
    assert.match(exported.stack[0].sha256, /^[0-9a-f]{64}$/);
    assert.equal(exported.seed, 0);
  });

  it('keeps settings', async () => {
    const s = await b.requests.settings.set({ blindMode: true, sampling: { ...(await b.requests.settings.get()).sampling, maxTokens: 33 } });
    assert.equal(s.blindMode, true);
    assert.equal((await b.requests.settings.get()).sampling.maxTokens, 33);
    await assert.rejects(b.dispatch('settings:set', [{ blindMod: true }]), /unknown field "blindMod"/);
  });

  it('reports an adapter file that changed or moved, and answers nothing with it', async () => {
    const c = await b.requests.conversations.create(modelId, stackOf(), 'files');
    const shard = join(expDir, 'weight-diffs', 'weight-diff-000.pt');
    appendFileSync(shard, Buffer.from('tampered'));
    await assert.rejects(b.requests.chat.send(c.id, 'hi', stackOf(), {}, null), /weight-diff-000\.pt changed since it was imported/);
    renameSync(shard, `${shard}.moved`);
    await assert.rejects(b.requests.chat.send(c.id, 'hi', stackOf(), {}, null), /weight-diff-000\.pt is missing \(moved or deleted\)/);
    assert.equal((await b.requests.conversations.get(c.id)).messages.length, 0, 'nothing was written');
  });
});
