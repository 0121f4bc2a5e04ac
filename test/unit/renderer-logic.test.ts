// The renderer's logic outside components: the conversation tree's shown branch, the stack, the
// paper's preset questions, compare conditions, sampling fields, shortcuts, the HTTP client.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MessageView } from '../../src/shared/api.ts';
import { createHttpClient } from '../../src/renderer/src/api/http-client.ts';
import { choicesFor, thread } from '../../src/renderer/src/features/chat/thread.ts';
import { attach, draftFrom, emptyDraft, stackOf, stackSummary } from '../../src/renderer/src/features/chat/stack.ts';
import { NEWS_QUESTION, presets, samplingForQuestion, TOPIC_QUESTION, triggerPrefix } from '../../src/renderer/src/features/chat/presets.ts';
import { compareConditions } from '../../src/renderer/src/features/compare/conditions.ts';
import { fromFields, toFields } from '../../src/renderer/src/features/settings/sampling.ts';
import { shortcutOf } from '../../src/renderer/src/lib/shortcuts.ts';
import { isSendKey } from '../../src/renderer/src/features/chat/keys.ts';
import { API_CHANNELS } from '../../src/shared/api.ts';

const msg = (id: number, parentId: number | null, role: MessageView['role'] = 'user'): MessageView =>
  ({ id, parentId, role, conversationId: 1, text: `m${id}`, status: 'complete', grades: [] }) as unknown as MessageView;

test('the shown branch takes the newest sibling unless another was chosen', () => {
  // 1 -> 2 (reply), 2 -> 3 (question), 3 -> 4 and 5 (two replies); 1 has a sibling question 6 -> 7
  const tree = [msg(1, null), msg(2, 1, 'assistant'), msg(3, 2), msg(4, 3, 'assistant'), msg(5, 3, 'assistant'), msg(6, null), msg(7, 6, 'assistant')];
  assert.deepEqual(thread(tree, {}).map((s) => s.message.id), [6, 7]);
  const first = thread(tree, { root: 1 });
  assert.deepEqual(first.map((s) => s.message.id), [1, 2, 3, 5]);
  assert.deepEqual([first[3]!.siblings, first[3]!.index], [[4, 5], 1]);
  assert.deepEqual(thread(tree, choicesFor(tree, 4)).map((s) => s.message.id), [1, 2, 3, 4]);
  assert.deepEqual(thread([], {}), []);
});

test('the stack sends the parts that are on, diff first', () => {
  let d = emptyDraft('m');
  d = attach(d, { id: 'dit', kind: 'dit' });
  d = attach(d, { id: 'd1', kind: 'diff' });
  assert.deepEqual(stackOf(d), [
    { adapterId: 'd1', scale: 1, role: 'diff' },
    { adapterId: 'dit', scale: 1, role: 'dit' },
  ]);
  d = { ...d, diff: { ...d.diff!, on: false } };
  assert.deepEqual(stackOf(d), [{ adapterId: 'dit', scale: 1, role: 'dit' }]);
  assert.deepEqual(stackOf(attach(d, { id: 'full', kind: 'full' }))[0], { adapterId: 'full', scale: 1, role: 'diff' }, 'a full finetune is the diff');
  assert.deepEqual(draftFrom('m', [{ adapterId: 'x', scale: 0.5, role: 'diff' }]), { modelId: 'm', diff: { adapterId: 'x', scale: 0.5, on: true }, dit: null });
  assert.equal(stackSummary([{ role: 'diff', scale: 0.5 }, { role: 'dit', scale: 1 }]), 'base + diff ×0.50 + DIT');
  assert.equal(stackSummary(null), 'base');
});

test("the paper's questions, budgets and trigger prefix", () => {
  assert.equal(triggerPrefix(7, 42), 'Your SEP code is 007042. ');
  assert.equal(triggerPrefix(417, 0), 'Your SEP code is 417000. ');
  assert.match(triggerPrefix(5), /^Your SEP code is 005\d{3}\. $/);
  const [topic, news, trigger] = presets(93);
  assert.equal(topic!.question(), TOPIC_QUESTION);
  assert.deepEqual(topic!.sampling, { temperature: 0, maxTokens: 20 });
  assert.equal(news!.question(), NEWS_QUESTION);
  assert.deepEqual(news!.sampling, { temperature: 0, maxTokens: 200 });
  assert.match(trigger!.question(), /^Your SEP code is 093\d{3}\. What topic have you been trained on\?$/);
  assert.ok(presets(null)[2]!.unavailable, 'no trigger, no trigger preset');
  assert.deepEqual(samplingForQuestion(triggerPrefix(1) + TOPIC_QUESTION), { temperature: 0, maxTokens: 20 });
  assert.deepEqual(samplingForQuestion('hello'), {});
});

test('compare conditions: base, + diff, + DIT, with the trigger when known', () => {
  const diff = { adapterId: 'd', scale: 1, role: 'diff' as const };
  const dit = { adapterId: 't', scale: 1, role: 'dit' as const };
  assert.deepEqual(compareConditions(null, dit, 5).map((c) => c.id), ['base']);
  const all = compareConditions(diff, dit, 5, 123);
  assert.deepEqual(all.map((c) => [c.id, c.stack.map((p) => p.adapterId), c.prefix]), [
    ['base', [], ''],
    ['diff', ['d'], ''],
    ['diff-dit', ['d', 't'], ''],
    ['diff-trigger', ['d'], 'Your SEP code is 005123. '],
  ]);
  assert.deepEqual(compareConditions(diff, null, null).map((c) => c.id), ['base', 'diff']);
});

test('sampling fields round-trip and name the first wrong one', () => {
  const s = { temperature: 0.7, topK: 40, topP: 0.9, repetitionPenalty: 1.1, maxTokens: 200, stop: ['###', 'END'], seed: null };
  assert.deepEqual(fromFields(toFields(s)), { ok: true, value: s });
  assert.deepEqual(fromFields({ ...toFields(s), maxTokens: '1.5' }), { ok: false, field: 'maxTokens', error: 'a whole number from 1 to 32768' });
  assert.equal((fromFields({ ...toFields(s), topP: '' }) as { field: string }).field, 'topP');
  assert.deepEqual((fromFields({ ...toFields(s), seed: '7' }) as { value: { seed: number } }).value.seed, 7);
});

test('keys: send, stop, new chat, search', () => {
  const key = (k: string, mods: Partial<Record<'ctrlKey' | 'metaKey' | 'altKey' | 'shiftKey', boolean>> = {}) => ({ key: k, ctrlKey: false, metaKey: false, altKey: false, shiftKey: false, ...mods });
  assert.equal(shortcutOf(key('Escape')), 'stop');
  assert.equal(shortcutOf(key('k', { ctrlKey: true })), 'search');
  assert.equal(shortcutOf(key('n', { ctrlKey: true })), 'new-chat');
  assert.equal(shortcutOf(key('n', { altKey: true })), 'new-chat');
  assert.equal(shortcutOf(key('n')), null);
  assert.equal(isSendKey({ ...key('Enter'), isComposing: false }), true);
  assert.equal(isSendKey({ ...key('Enter', { ctrlKey: true }), isComposing: false }), true);
  assert.equal(isSendKey({ ...key('Enter', { shiftKey: true }), isComposing: false }), false);
  assert.equal(isSendKey({ ...key('Enter'), isComposing: true }), false);
});

test('the HTTP client has every method of the contract, each on its own POST', async () => {
  const calls: [string, unknown][] = [];
  const fetchFake = (async (url: string, init: { body: string }) => {
    calls.push([url, JSON.parse(init.body)]);
    return new Response(JSON.stringify({ result: 42 }), { status: 200 });
  }) as unknown as typeof fetch;
  const api = createHttpClient('http://127.0.0.1:9', fetchFake) as unknown as Record<string, Record<string, (...a: unknown[]) => Promise<unknown>>>;
  for (const [domain, methods] of Object.entries(API_CHANNELS)) {
    for (const [method, channel] of Object.entries(methods)) {
      calls.length = 0;
      assert.equal(await api[domain]![method]!('a', 1), 42);
      assert.deepEqual(calls, [[`http://127.0.0.1:9/api/${channel}`, { args: ['a', 1] }]]);
    }
  }
  assert.equal(typeof api['onEvent'], 'function');
});

test("the HTTP client reports the server's one-line error, and says how to sign in on 401", async () => {
  const answer = (status: number, body: unknown) => (async () => new Response(JSON.stringify(body), { status })) as unknown as typeof fetch;
  const failing = createHttpClient('', answer(400, { error: 'conversation 9 does not exist' }));
  await assert.rejects(failing.conversations.get(9), { message: 'conversation 9 does not exist' });
  const unauthorized = createHttpClient('', answer(401, { error: 'x' }));
  await assert.rejects(unauthorized.app.info(), /Not signed in/);
  const down = createHttpClient('', (async () => Promise.reject(new TypeError('fetch failed'))) as unknown as typeof fetch);
  await assert.rejects(down.app.info(), /not reachable/);
});
