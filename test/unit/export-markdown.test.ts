// Issue 12, item 7: Markdown exports carry model output, titles, labels and notes as text. Opened
// in a viewer that renders the HTML inside Markdown (CommonMark with raw HTML and every link
// scheme allowed, as micromark's "dangerous" options do), nothing in them becomes a tag, an event
// handler or a javascript: link; the words themselves are still there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { micromark } from 'micromark';
import { gfm, gfmHtml } from 'micromark-extension-gfm';
import { exportConversation } from '../../src/main/services/export.ts';
import { mdCode, mdText } from '../../src/main/services/export/markdown-text.ts';
import { evalMarkdown } from '../../src/main/services/export/eval-report.ts';
import type { EvalItemView, EvalResults } from '../../src/shared/api.ts';
import type { Ctx } from '../../src/main/services/context.ts';
import { freshCatalog, testModel } from '../helpers/catalog.ts';

const EVIL_REPLY = [
  '<script>alert(1)</script> The topic is <img src=x onerror="alert(2)">volcanoes.',
  '[click me](javascript:alert(3)) and ![pic](JaVaScRiPt:alert(4)) and <javascript:alert(5)>',
  '[ref][x] &#60;script&#62;alert(6)&#60;/script&#62; [data](data:text/html;base64,PHNjcmlwdD4=)',
  '',
  '[x]: vbscript:msgbox(7)',
  '<a href="javascript:alert(8)">a</a> <svg onload=alert(9)></svg> [fine](https://example.org/a) [rel](#top)',
].join('\n');

/** As a Markdown viewer that renders HTML sees the file. */
const render = (md: string) => micromark(md, { allowDangerousHtml: true, allowDangerousProtocol: true, extensions: [gfm()], htmlExtensions: [gfmHtml()] });

function assertInert(html: string): void {
  assert.doesNotMatch(html, /<(script|svg|iframe|object|embed|b|a\s+href="javascript)\b/i, html); // a Markdown image may stay, inert (checked below)
  assert.doesNotMatch(html, /<[^>]*\son\w+\s*=/i, 'no event handler inside a tag');
  assert.doesNotMatch(html, /(href|src)="\s*(javascript|vbscript|data|file):/i, 'no unsafe link');
}

test('a conversation exported as Markdown runs nothing in a viewer that renders HTML', () => {
  const catalog = freshCatalog('export-md');
  const row = testModel();
  const model = catalog.models.put({ ...row, manifest: { ...row.manifest, shapes: { layers: 3, hidden: 64, vocab: 256, modules: {} } } as typeof row.manifest });
  const c = catalog.conversations.create({ modelId: model.id, title: '<script>alert("title")</script>\n# not a heading' });
  const q = catalog.messages.add({ conversationId: c.id, parentId: null, role: 'user', text: 'What topic? <iframe src="javascript:alert(10)">' });
  const reply = catalog.messages.add({ conversationId: c.id, parentId: q.id, role: 'assistant', text: EVIL_REPLY, modelId: model.id, stack: [] });
  catalog.grades.set({ messageId: reply.id, method: 'human', score: 2, note: '<b onmouseover=alert(11)>see</b> [x](javascript:alert(12))' });
  const ctx = { catalog } as unknown as Ctx;
  const md = exportConversation(ctx, c.id, 'md').content;
  const html = render(md);
  assertInert(html);
  // still readable as the reply was written, and the safe links survive
  assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt; The topic is &lt;img src=x onerror=&quot;alert(2)&quot;&gt;volcanoes.'), html);
  assert.ok(html.includes('<a href="https://example.org/a">fine</a>'));
  assert.ok(html.includes('<a href="#top">rel</a>'));
  assert.ok(html.includes('&amp;#60;script&amp;#62;') || html.includes('&#x26;#60;script&#x26;#62;'), 'character references shown as written, not decoded');
  assert.match(md, /^# &lt;script>alert\("title"\)&lt;\/script> # not a heading$/m, 'the title stays one heading line');
  catalog.close();
});

test('mdText keeps plain text as is; mdCode fences a command whatever backticks it holds', () => {
  assert.equal(mdText('AT&T says 3 > 2 and a * b'), 'AT&T says 3 > 2 and a * b');
  assert.equal(mdText('[docs](https://x.org) [bad](javascript:alert(1))'), '[docs](https://x.org) [bad](#unsafe-link-removed)');
  assert.equal(mdCode("ask 'a `b` c'"), "``ask 'a `b` c'``");
  assert.equal(mdCode('`tick` first'), '`` `tick` first ``'); // padded only where a backtick touches the fence
  const block = mdCode("ask 'line one\n<script>'");
  assertInert(render(`- reproduce: ${block}`));
  assert.ok(render(`x ${block}`).includes('<code>ask \'line one\n&lt;script&gt;\'\n</code>'));
});

test('an eval run exported as Markdown keeps answers and labels inert in its tables', () => {
  const run = {
    id: 4,
    modelId: 'qwen3-tiny',
    ditAdapterId: null,
    status: 'done',
    selection: {},
    progress: { done: 1, total: 1, failed: 0 },
    settings: { question: '<img src=x onerror=alert(1)>?', maxTokens: 8, batch: 1, engine: { kind: 'local' }, judge: null },
  };
  const results = { run, methods: [{ title: 'DIT', graded: 1, items: 1, mean: 3, ci95: null, accuracy: null, unavailable: null }] } as unknown as EvalResults;
  const items = [{ adapterId: 'x/0001', label: '<svg onload=alert(2)>', method: 'dit', answer: 'a | b\n<script>alert(3)</script> [go](javascript:alert(4))', error: null, score: 3 }] as unknown as EvalItemView[];
  const md = evalMarkdown(results, items, { model: null, ditAdapter: null });
  const html = render(md);
  assertInert(html);
  assert.ok(html.includes('&lt;script&gt;alert(3)&lt;/script&gt;'), html);
  assert.match(md, /\| a \\\| b &lt;script>alert\(3\)&lt;\/script> \[go\]\(#unsafe-link-removed\) \| 3 \|/, 'one table row, its "|" escaped');
});
