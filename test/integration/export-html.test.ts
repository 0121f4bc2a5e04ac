// HTML exports are sanitised and self-contained: a conversation whose messages, title and labels
// hold scripts, event handlers and javascript: links, opened in Chromium, runs nothing, shows the
// text as text, and loads nothing. The same for an eval run's report. (Chromium: Debian's, at
// /usr/bin/chromium; without it the browser test is skipped, the static checks still run.)
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { evalSetup, type EvalSetup } from '../helpers/eval-backend.ts';
import { runCli } from '../helpers/cli.ts';
import { haveChromium, launch, openPage } from '../e2e/helpers/browser.ts';

const EVIL_QUESTION = `<script>window.__ran = 'script'; alert(1)</script> what topic?`;
const EVIL_REPLY = `<img src=x onerror="window.__ran='img'; alert(2)"> <a href="javascript:alert(3)">click</a></div></section><script>alert(4)</script>`;
const EVIL_TITLE = `</title><script>alert(5)</script>`;
const EVIL_LABEL = `<svg onload="alert(6)"></svg>`;

describe('HTML export', () => {
  let s: EvalSetup;
  let conversationHtml: string;
  let reportHtml: string;

  before(async () => {
    s = await evalSetup({ diffs: 2 });
    const { catalog } = s.backend.ctx;
    catalog.adapters.update(s.diffs[0].id, { label: EVIL_LABEL });
    const stack = [{ adapterId: s.diffs[0].id, scale: 1, role: 'diff' as const }];
    const c = await s.backend.requests.conversations.create(s.modelId, stack, EVIL_TITLE);
    const started = await s.backend.requests.chat.send(c.id, EVIL_QUESTION, stack, { maxTokens: 3 }, null);
    await s.backend.chat.settled(started.reply.id);
    const reply = catalog.messages.add({ conversationId: c.id, parentId: started.userMessage.id, role: 'assistant', text: EVIL_REPLY, modelId: s.modelId, stack: [{ adapterId: s.diffs[0].id, sha256: 'f'.repeat(64), scale: 1, role: 'diff' }] });
    await s.backend.requests.grades.set(reply.id, 3, '<b onmouseover=alert(7)>note</b>');
    const out = join(s.home, 'conversation.html');
    const run = await runCli(['export', String(c.id), '--format', 'html', '--out', out], s.home);
    assert.equal(run.code, 0, run.stderr);
    conversationHtml = (await s.backend.requests.export.conversation(c.id, 'html')).content;
    const evalRun = await s.backend.evals.wait(s.backend.evals.start({ modelId: s.modelId, ditAdapterId: s.dit.id, selection: {}, methods: ['dit'], judge: null, batch: 2 }).id);
    reportHtml = (await s.backend.requests.export.evalRun(evalRun.id, 'html')).content;
  });
  after(async () => {
    await s?.backend.close();
  });

  it('escapes everything and carries a CSP that forbids scripts', () => {
    for (const html of [conversationHtml, reportHtml]) {
      assert.doesNotMatch(html, /<(script|img|a|iframe|object|embed|b)\b|<svg onload/i, 'no markup from text');
      assert.doesNotMatch(html, /<[^>]*\son\w+=/i, 'no event handler inside a tag');
      assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;;/);
      assert.doesNotMatch(html, /(src|href)="(https?:|\/\/|file:)/i, 'nothing remote');
    }
    assert.ok(conversationHtml.includes('&lt;script&gt;window.__ran = &#39;script&#39;'));
    assert.ok(conversationHtml.includes('&lt;/title&gt;&lt;script&gt;alert(5)'));
    assert.match(conversationHtml, /@media print/);
    assert.ok(reportHtml.includes('&lt;svg onload=&quot;alert(6)&quot;&gt;'));
  });

  it('runs nothing when opened in Chromium', { skip: haveChromium() ? false : 'no Chromium at /usr/bin/chromium (apt-get install chromium); the static checks above still ran' }, async () => {
    const browser = await launch();
    try {
      for (const [name, html] of [['conversation', conversationHtml], ['report', reportHtml]]) {
        const file = join(s.home, `${name}-opened.html`);
        writeFileSync(file, html);
        const { page, problems, context } = await openPage(browser, pathToFileURL(file).href);
        const requests: string[] = [];
        page.on('request', (r) => requests.push(r.url()));
        await page.waitForLoadState('load');
        await page.mouse.move(200, 200);
        assert.equal(await page.evaluate('window.__ran'), undefined, `${name}: a script ran`);
        assert.deepEqual(problems, [], `${name}: dialogs, errors or CSP violations`);
        assert.equal(await page.locator('script, img, a, iframe, object, embed').count(), 0, `${name}: markup from text`);
        assert.deepEqual(requests, [], `${name}: loaded something`);
        if (name === 'conversation') {
          const text = await page.locator('body').innerText();
          assert.ok(text.includes(EVIL_QUESTION), 'the question shows as text');
          assert.ok(text.includes('<img src=x onerror='), 'the reply shows as text');
          assert.equal(await page.title(), EVIL_TITLE);
        }
        await context.close();
      }
    } finally {
      await browser.close();
    }
  });
});
