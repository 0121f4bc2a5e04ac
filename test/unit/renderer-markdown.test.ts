// The renderer's Markdown parser: what chat answers use, and hostile input that must stay text.
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
  const [list, ordered] = parseMarkdown('- one\n- two\n  - nested\n\n3. three\n4. four');
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

test('hostile nesting and unmatched marks stay fast and shallow', () => {
  const started = performance.now();
  parseMarkdown('*a '.repeat(20_000));
  parseMarkdown('['.repeat(20_000) + '](');
  parseMarkdown('`'.repeat(5_000) + 'x');
  const deep = parseMarkdown('>'.repeat(10_000) + ' deep');
  assert.ok(performance.now() - started < 2000, 'linear-ish time');
  let depth = 0;
  for (let b: Block | undefined = deep[0]; b && b.type === 'quote'; b = b.children[0]) depth++;
  assert.ok(depth <= 8, `quote depth bounded (${depth})`);
});
