// Full-text search over messages: kept in step with inserts, updates and deletes (also the
// cascading ones), ranked by bm25, safe with any input a person can type.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ftsQuery, parseSnippet, RANK_WINDOW } from '../../src/main/catalog/search.ts';
import type { Catalog } from '../../src/main/catalog/index.ts';
import { freshCatalog, testModel } from '../helpers/catalog.ts';

function withConversation(c: Catalog, title = 'search me') {
  c.models.get('qwen3-tiny') ?? c.models.put(testModel());
  const conv = c.conversations.create({ modelId: 'qwen3-tiny', title });
  const add = (text: string, role: 'user' | 'assistant' = 'assistant', parentId: number | null = null) =>
    c.messages.add({ conversationId: conv.id, role, text, parentId });
  return { conv, add };
}

const ids = (c: Catalog, q: string) => c.search(q).map((h) => h.messageId);

test('the query builder quotes every piece, so FTS5 syntax is only text', () => {
  assert.equal(ftsQuery('volcanic islands'), '"volcanic" "islands"');
  assert.equal(ftsQuery('volcanic islands', { prefix: true }), '"volcanic" "islands"*');
  assert.equal(ftsQuery('say "hi" NEAR(a b)'), '"say" """hi""" "NEAR(a" "b)"');
  assert.equal(ftsQuery('  '), null);
  assert.equal(ftsQuery('* - " ( ) ^ :', { prefix: true }), null);
  assert.equal(ftsQuery('café'), '"café"');
  assert.equal(ftsQuery('text:foo'), '"text:foo"');
});

test('snippets come back as parts, matches marked, never as markup', () => {
  assert.deepEqual(parseSnippet('…about \u0002volcanoes\u0003 and <b>\u0002lava\u0003</b>'), [
    { text: '…about ', match: false },
    { text: 'volcanoes', match: true },
    { text: ' and <b>', match: false },
    { text: 'lava', match: true },
    { text: '</b>', match: false },
  ]);
});

test('a message is found after insert and after update, not after delete', () => {
  const c = freshCatalog('catalog-search');
  const { conv, add } = withConversation(c);
  const q = add('What topic have you been trained on?', 'user');
  assert.deepEqual(ids(c, 'trained'), [q.id]);

  const r = c.messages.startReply({ conversationId: conv.id, parentId: q.id });
  c.messages.saveProgress(r.id, 'Medieval castle');
  assert.deepEqual(ids(c, 'castle'), [r.id]);
  c.messages.finish(r.id, { text: 'Medieval fortresses of Wales', status: 'complete' });
  assert.deepEqual(ids(c, 'castle'), []); // the old text is gone from the index
  assert.deepEqual(ids(c, 'fortresses wales'), [r.id]);
  assert.deepEqual(ids(c, 'fort'), []); // whole words
  assert.deepEqual(c.search('fort', { prefix: true }).map((h) => h.messageId), [r.id]); // as you type
  assert.deepEqual(c.search('medi wales', { prefix: true }), []); // only the last word is a prefix

  c.optimizeSearch(); // merging the index changes no answer
  assert.deepEqual(ids(c, 'fortresses wales'), [r.id]);
  c.messages.remove(r.id);
  assert.deepEqual(ids(c, 'fortresses'), []);
  assert.deepEqual(ids(c, 'trained'), [q.id]);
  c.close();
});

test('messages deleted by a cascade (their conversation, their parent) leave the index too', () => {
  const c = freshCatalog('catalog-search');
  const a = withConversation(c, 'a');
  const b = withConversation(c, 'b');
  const qa = a.add('glaciers in Patagonia', 'user');
  a.add('more glaciers', 'assistant', qa.id);
  const qb = b.add('glaciers of Norway', 'user');
  const rb = b.add('fjords and glaciers', 'assistant', qb.id);
  assert.equal(c.search('glaciers').length, 4);
  c.conversations.remove(a.conv.id);
  assert.deepEqual(ids(c, 'glaciers').sort(), [qb.id, rb.id]);
  c.messages.remove(qb.id); // and its reply with it
  assert.deepEqual(ids(c, 'glaciers'), []);
  assert.deepEqual(ids(c, 'fjords'), []);
  assert.deepEqual(c.integrityCheck(), ['ok']);
  c.close();
});

test('hostile input never throws and finds only literal words', () => {
  const c = freshCatalog('catalog-search');
  const { add } = withConversation(c);
  const near = add('the NEAR operator and a "quoted phrase" with an asterisk * and x-ray vision');
  add('nothing to see here');
  const hostile = [
    '"', '""', '"""', "'", '*', '-', '^', ':', '(', ')', 'NEAR(', 'NEAR(a b', 'NEAR(near, 2)', 'a OR', 'OR', 'AND', 'NOT',
    'text:', 'text:near', '{text}: near', '-near', 'near*', '*near', 'near"', '"near', 'x-ray', "'; DROP TABLE messages; --",
    '\u0000', '\u0002', '🙂', 'a'.repeat(10_000), ' '.repeat(100), 'near '.repeat(200), '\\', '%', '_', '[', ']',
  ];
  for (const q of hostile) {
    for (const prefix of [false, true]) assert.doesNotThrow(() => c.search(q, { prefix }), `search for ${JSON.stringify(q.slice(0, 30))}`);
  }
  assert.deepEqual(ids(c, 'NEAR('), [near.id]);
  assert.deepEqual(ids(c, '"quoted phrase"'), [near.id]);
  assert.deepEqual(ids(c, 'x-ray'), [near.id]); // a phrase: "x ray"
  assert.deepEqual(ids(c, 'ray-x'), []);
  assert.deepEqual(ids(c, 'near OR nothing'), []); // OR is a word here, and it is not in the text
  assert.deepEqual(ids(c, '*'), []);
  assert.equal(c.messages.list(1).length, 2);
  c.close();
});

test('hits are ranked by bm25 and carry conversation, role and a highlighted snippet; filters narrow them', () => {
  const c = freshCatalog('catalog-search');
  const a = withConversation(c, 'Volcano talk');
  const b = withConversation(c, 'Other');
  const once = a.add(`A long answer that mentions a volcano only once among many other words: ${'filler '.repeat(60)}end.`);
  const thrice = a.add('Volcano, volcano, volcano: the topic is volcanoes.');
  const user = a.add('Tell me about the volcano', 'user');
  const other = b.add('A volcano in another conversation');
  const hits = c.search('volcano');
  assert.equal(hits[0].messageId, thrice.id);
  assert.equal(hits.at(-1)!.messageId, once.id);
  assert.ok(hits.every((h, i) => i === 0 || hits[i - 1].rank <= h.rank));
  const top = hits[0];
  assert.equal(top.conversationTitle, 'Volcano talk');
  assert.equal(top.role, 'assistant');
  assert.deepEqual(top.snippet.filter((p) => p.match).map((p) => p.text), ['Volcano', 'volcano', 'volcano']);
  assert.ok(hits.find((h) => h.messageId === once.id)!.snippet.some((p) => p.text.includes('…')));

  assert.deepEqual(c.search('volcano', { conversationId: b.conv.id }).map((h) => h.messageId), [other.id]);
  assert.deepEqual(c.search('volcano', { role: 'user' }).map((h) => h.messageId), [user.id]);
  assert.equal(c.search('volcano', { limit: 2 }).length, 2);
  assert.deepEqual(ids(c, 'VOLCANO'), ids(c, 'volcano')); // case-insensitive
  c.close();
});

test('diacritics and non-Latin scripts match', () => {
  const c = freshCatalog('catalog-search');
  const { add } = withConversation(c);
  const cafe = add('Le café de Flore, à Paris');
  const jp = add('富士山 は 火山 です');
  assert.deepEqual(ids(c, 'cafe'), [cafe.id]);
  assert.deepEqual(ids(c, 'CAFÉ paris'), [cafe.id]);
  assert.deepEqual(ids(c, '火山'), [jp.id]);
  c.close();
});

test('a word in more messages than the rank window is ranked over its newest matches, and still answers', () => {
  const c = freshCatalog('catalog-search');
  const { add } = withConversation(c);
  c.transaction('fill', () => {
    add('common common common'); // the best bm25 match, but the oldest
    for (let i = 0; i < RANK_WINDOW + 10; i++) add(`common message number ${i} with some other words`);
    add('rare word, and common'); // below the window it is ranked exactly
  });
  const hits = c.search('common', { limit: 5 });
  assert.equal(hits.length, 5);
  assert.ok(!hits.some((h) => h.messageId === 1), 'the oldest match is outside the window');
  assert.equal(hits[0].snippet.filter((p) => p.match).length, 1);
  assert.equal(c.search('rare common')[0].snippet.map((p) => p.text).join(''), 'rare word, and common');
  c.close();
});
