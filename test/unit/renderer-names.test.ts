// Names and wording the renderer decides (issue 13): blind codes unique and stable and hiding the
// label, counts with their noun, a comparison grouped as one entry, a conversation listed once per
// search, an answer budget checked against the model's context, what can be graded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AdapterView, ConversationView, SearchHit } from '../../src/shared/api.ts';
import { adapterName, blindCode, count } from '../../src/renderer/src/lib/format.ts';
import { compareTitle, groupConversations, nextCompareNumber } from '../../src/renderer/src/features/compare/compare-titles.ts';
import { groupByConversation } from '../../src/renderer/src/features/sidebar/search.svelte.ts';
import { fromFields, toFields } from '../../src/renderer/src/features/settings/sampling.ts';
import { gradable } from '../../src/renderer/src/features/grading/grading.ts';

test('blind codes: one per diff, the same every time, different for 300,000 ids, hiding the label', () => {
  const seen = new Map<string, string>();
  for (const prefix of ['hidden-topic-demo', 'hidden-topic-demo-2', 'news-summary-demo']) {
    for (let row = 0; row < 100_000; row++) {
      const id = `${prefix}/${String(row).padStart(4, '0')}`;
      const code = blindCode(id);
      assert.equal(seen.get(code), undefined, `${id} and ${seen.get(code)} share ${code}`);
      seen.set(code, id);
    }
  }
  assert.equal(blindCode('hidden-topic-demo/0012'), blindCode('hidden-topic-demo/0012'));
  const diff = { id: 'volcanoes-lora', kind: 'diff', label: 'volcanoes' } as AdapterView;
  assert.match(adapterName(diff, true), /^Diff [0-9A-Z]{4}-[0-9A-Z]{4}$/);
  assert.ok(!adapterName(diff, true).toLowerCase().includes('volcano'), 'not even an id made from the label shows');
  assert.equal(adapterName(diff, false), 'volcanoes');
});

test('counts say their noun in the singular for one', () => {
  assert.equal(count(1, 'token'), '1 token');
  assert.equal(count(361, 'adapter'), '361 adapters');
  assert.equal(count(1, 'more match', 'more matches'), '1 more match');
});

test('the conversations of one comparison are one entry, newest first among the others', () => {
  const c = (id: number, title: string, updatedAt: string) => ({ id, title, updatedAt }) as ConversationView;
  const list = [
    c(1, 'What topic?', '2026-01-01'),
    c(2, compareTitle(1, 'Base model'), '2026-01-02'),
    c(3, compareTitle(1, 'Base + diff'), '2026-01-03'),
    c(4, 'Later chat', '2026-01-04'),
  ];
  const entries = groupConversations(list);
  assert.deepEqual(
    entries.map((e) => (e.kind === 'conversation' ? e.conversation.id : `compare ${e.n}: ${e.conversations.map((x) => x.condition).join(', ')}`)),
    [4, 'compare 1: Base model, Base + diff', 1],
  );
  assert.equal(nextCompareNumber(list), 2);
});

test('search: a conversation is listed once however many of its messages match', () => {
  const hit = (messageId: number, conversationId: number) => ({ messageId, conversationId, conversationTitle: `c${conversationId}`, role: 'user', snippet: [] }) as SearchHit;
  const groups = groupByConversation([hit(1, 7), hit(2, 7), hit(3, 8)]);
  assert.deepEqual(groups.map((g) => [g.first.messageId, g.count]), [[1, 2], [3, 1]]);
});

test('max tokens must leave room in the base model context', () => {
  const fields = { ...toFields({ temperature: 0, topK: 0, topP: 1, repetitionPenalty: 1, maxTokens: 20, stop: [], seed: null }), maxTokens: '4000' };
  const checked = fromFields(fields, { name: 'demo', contextTokens: 512 });
  assert.deepEqual(checked, { ok: false, field: 'maxTokens', error: 'a whole number from 1 to 511 (demo holds 512 tokens, question and answer together)' });
  assert.equal(fromFields({ ...fields, maxTokens: '511' }, { name: 'demo', contextTokens: 512 }).ok, true);
  assert.equal(fromFields(fields).ok, true, 'without a model, the general limit');
});

test('a failed reply cannot be graded; a stopped one can', () => {
  assert.equal(gradable({ status: 'error' }), false);
  assert.equal(gradable({ status: 'streaming' }), false);
  assert.equal(gradable({ status: 'incomplete' }), true);
  assert.equal(gradable({ status: 'complete' }), true);
});
