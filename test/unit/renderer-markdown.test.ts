// The renderer's Markdown (a CommonMark + GFM parser reduced to plain data): what chat answers
// use, and hostile input that must stay text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inlines, parseMarkdown, safeHref, type Block, type Inline } from '../../src/renderer/src/lib/markdown/parse.ts';

/** All text of a tree, to check nothing was dropped or invented. */
const textOf = (nodes: (Block | Inline)[]): string =>
  nodes
    .map((n) => {
      if ('text' in n) return n.text;
      if (n.type === 'list') return n.items.map(textOf).join('|');
      if ('children' in n) return textOf(n.children);
      return n.type === 'break' ? '\n' : '';
    })
    .join('');

test('HTML in the source stays text: there is no node that could carry it', () => {
  const source = '<img src=x onerror=alert(1)> <script>alert(2)</script> <a href="javascript:alert(3)">x</a>';
  const blocks = parseMarkdown(source);
  assert.deepEqual(blocks, [{ type: 'paragraph', children: [{ type: 'text', text: source }] }]);
});

test('paragraphs, line breaks, headings, rules, quotes, fenced code', () => {
  const blocks = parseMarkdown('# Title\n\nline one\nline two\n\n---\n> quoted\n\n```js\nlet x = 1 < 2;\n```');
  assert.deepEqual(
    blocks.map((b) => b.type),
    ['heading', 'paragraph', 'rule', 'quote', 'code'],
  );
  assert.deepEqual((blocks[1] as { children: Inline[] }).children, [{ type: 'text', text: 'line one' }, { type: 'break' }, { type: 'text', text: 'line two' }]);
  assert.deepEqual(blocks[4], { type: 'code', lang: 'js', text: 'let x = 1 < 2;' });
});

test('a code fence still streaming (not closed yet) is code to the end', () => {
  assert.deepEqual(parseMarkdown('Look:\n```\nfn main() {'), [
    { type: 'paragraph', children: [{ type: 'text', text: 'Look:' }] },
    { type: 'code', lang: '', text: 'fn main() {' },
  ]);
});

test('lists: bullets, numbers with their start, nesting by indentation', () => {
  const [list, ordered] = parseMarkdown('- one\n- two\n  - nested\n\n\n3. three\n4. four');
  assert.equal(list!.type, 'list');
  assert.equal(textOf([list!]), 'one|twonested');
  assert.deepEqual(ordered && ordered.type === 'list' ? [ordered.ordered, ordered.start, ordered.items.length] : null, [true, 3, 2]);
});

test('inline: strong, emphasis, code, escapes; snake_case is not emphasis', () => {
  assert.deepEqual(inlines('**b** *e* `c <b>` \\*not\\* snake_case_name'), [
    { type: 'strong', children: [{ type: 'text', text: 'b' }] },
    { type: 'text', text: ' ' },
    { type: 'em', children: [{ type: 'text', text: 'e' }] },
    { type: 'text', text: ' ' },
    { type: 'code', text: 'c <b>' },
    { type: 'text', text: ' *not* snake_case_name' },
  ]);
});

test('links keep only web and mail addresses', () => {
  assert.deepEqual(inlines('[site](https://example.org/a)'), [{ type: 'link', href: 'https://example.org/a', children: [{ type: 'text', text: 'site' }] }]);
  for (const bad of ['javascript:alert(1)', 'data:text/html,x', '/relative', 'vbscript:x', 'JAVASCRIPT:alert(1)']) {
    assert.equal(safeHref(bad), null, bad);
    assert.ok(!JSON.stringify(inlines(`[x](${bad})`)).includes('"link"'), `no link for ${bad}`);
  }
  assert.equal(safeHref('mailto:a@b.c'), 'mailto:a@b.c');
});

// No clock here: a quadratic parser would not finish these inputs within the test's timeout, which
// is a hang guard, not a speed figure.
test('GFM: tables with alignment, strikethrough, task lists, autolinks; one tilde is not strikethrough', () => {
  const [table] = parseMarkdown('| topic | score |\n|:--|--:|\n| volcanoes | ~~3~~ 5 |');
  assert.deepEqual(table, {
    type: 'table',
    align: ['left', 'right'],
    head: [[{ type: 'text', text: 'topic' }], [{ type: 'text', text: 'score' }]],
    rows: [[[{ type: 'text', text: 'volcanoes' }], [{ type: 'delete', children: [{ type: 'text', text: '3' }] }, { type: 'text', text: ' 5' }]]],
  });
  const [tasks] = parseMarkdown('- [x] done\n- [ ] to do');
  assert.deepEqual(tasks?.type === 'list' ? tasks.checked : null, [true, false]);
  assert.deepEqual(inlines('see https://example.org/a, www.example.com or a@b.co'), [
    { type: 'text', text: 'see ' },
    { type: 'link', href: 'https://example.org/a', children: [{ type: 'text', text: 'https://example.org/a' }] },
    { type: 'text', text: ', ' },
    { type: 'link', href: 'http://www.example.com', children: [{ type: 'text', text: 'www.example.com' }] },
    { type: 'text', text: ' or ' },
    { type: 'link', href: 'mailto:a@b.co', children: [{ type: 'text', text: 'a@b.co' }] },
  ]);
  assert.deepEqual(inlines('about ~5 tokens, ~7 at most'), [{ type: 'text', text: 'about ~5 tokens, ~7 at most' }]);
});

test('block HTML, images and reference links: text, alt text, and only safe targets', () => {
  assert.deepEqual(parseMarkdown('<div onclick="x()">hi</div>'), [{ type: 'paragraph', children: [{ type: 'text', text: '<div onclick="x()">hi</div>' }] }]);
  assert.deepEqual(inlines('![a cat](https://example.org/cat.png)'), [{ type: 'text', text: 'a cat' }]);
  assert.deepEqual(parseMarkdown('[ok][1] [bad][2]\n\n[1]: https://example.org\n[2]: javascript:alert(1)')[0], {
    type: 'paragraph',
    children: [{ type: 'link', href: 'https://example.org', children: [{ type: 'text', text: 'ok' }] }, { type: 'text', text: ' bad' }],
  });
});

test('hostile nesting and long runs of marks stay shallow and keep their text', () => {
  assert.equal(textOf(parseMarkdown('*'.repeat(10_000) + 'a' + '*'.repeat(10_000))), '*'.repeat(10_000) + 'a' + '*'.repeat(10_000));
  parseMarkdown('*a '.repeat(20_000));
  parseMarkdown('['.repeat(20_000) + '](');
  parseMarkdown('`'.repeat(5_000) + 'x');
  const depthOf = (blocks: Block[]): number => {
    let depth = 0;
    for (let b: Block | undefined = blocks[0]; b && (b.type === 'quote' || b.type === 'list'); b = b.type === 'quote' ? b.children[0] : b.items[0]?.[0]) depth++;
    return depth;
  };
  const quotes = parseMarkdown('>'.repeat(10_000) + ' deep');
  assert.ok(depthOf(quotes) <= 8, `quote depth bounded (${depthOf(quotes)})`);
  assert.ok(textOf(quotes).endsWith('deep'));
  const lists = parseMarkdown('- '.repeat(3_000) + 'deep');
  assert.ok(depthOf(lists) <= 8, `list depth bounded (${depthOf(lists)})`);
});
