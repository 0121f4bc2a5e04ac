// Issue 13's interface problems, each checked as a person meets it, in Chromium against the REAL
// `diffscope serve` on a fresh data folder with the demo: the first answer's load phase and live
// engine state, blind names, the grade scale, max tokens against the model's context, import errors,
// the sidebar by keyboard, compare as one entry, small wording, GFM Markdown, and Evaluate that
// neither scrolls the window away nor sideways at 1,024 px. Screenshots go to
// DIFFSCOPE_E2E_SHOTS (default: a temporary folder) for looking at.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import type { AdapterView, ConversationView, EvalRunView, ModelView } from '../../src/shared/api.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { callApi, haveChromium, launch, openPage, type OpenedPage } from './helpers/browser.ts';
import { backendKind, startDiffscope, type Diffscope } from './helpers/server.ts';

const root = join(import.meta.dirname, '..', '..');
const slow = { timeout: 180_000 };
const shots = process.env.DIFFSCOPE_E2E_SHOTS ?? tmpDir('e2e-shots');
const skip = !haveChromium() ? 'no Chromium at /usr/bin/chromium' : backendKind() === 'fake' ? 'needs the real back end (engine events, evaluations)' : false;

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('issue 13: the interface as a person meets it', { skip }, () => {
  let app: Diffscope;
  let browser: Browser;
  let opened: OpenedPage;
  let page: Page;
  let model: ModelView;
  let diffs: AdapterView[];
  let dit: AdapterView;
  const api = <T>(channel: string, ...args: unknown[]) => callApi<T>(page, app.origin, channel, ...args);

  const sidebar = () => page.getByRole('navigation', { name: 'Catalog' });
  const section = (name: RegExp) => sidebar().getByRole('region', { name });
  const showView = (name: string) => page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name: new RegExp(`^${name}`) }).click();
  const replies = () => page.locator('article[aria-label="Answer"]');
  const finished = (reply: Locator) => reply.getByRole('button', { name: 'Regenerate' }).waitFor({ timeout: 60_000 });
  const shoot = async (name: string) => {
    await page.mouse.move(0, 0);
    await page.screenshot({ path: join(shots, `${name}.png`) });
  };

  before(async () => {
    mkdirSync(shots, { recursive: true });
    app = await startDiffscope();
    browser = await launch();
    opened = await openPage(browser, app.url);
    page = opened.page;
    model = (await api<ModelView[]>('models:list')).find((m) => m.demo)!;
    diffs = await api<AdapterView[]>('adapters:list', { modelId: model.id, kind: 'diff' });
    dit = (await api<AdapterView[]>('adapters:list', { modelId: model.id, kind: 'dit' }))[0]!;
  }, slow);

  after(async () => {
    await browser?.close();
    await app?.close();
  });

  test('3, 4: no engine yet; the first answer shows the model loading as its own phase, then its load time; Settings follows live', slow, async () => {
    await showView('Settings');
    await page.getByText('In use now: no engine started yet.').waitFor();

    await showView('Chat');
    await section(/^Diffs/).locator('button.item').nth(1).click();
    await section(/^DIT adapters/).locator('button.item').first().click();
    // Every text the answer shows on its way, seen from inside the page.
    await page.evaluate(`(() => {
      window.__seen = [];
      const record = () => {
        const reply = [...document.querySelectorAll('article[aria-label="Answer"]')].pop();
        const text = reply && reply.textContent.replace(/\\s+/g, ' ').trim();
        if (text && window.__seen.at(-1) !== text) window.__seen.push(text);
      };
      new MutationObserver(record).observe(document.querySelector('main'), { subtree: true, childList: true, characterData: true });
    })()`);
    await page.getByRole('button', { name: 'Hidden topic', exact: true }).click();
    // A picture of the load while it lasts (the tiny demo loads in a moment: the check is below).
    await page
      .getByText('the answer starts once it is loaded')
      .waitFor({ timeout: 5_000 })
      .then(() => shoot('first-answer-loading'), () => undefined);
    const reply = replies().last();
    await reply.getByRole('group', { name: 'Grade' }).waitFor({ timeout: 60_000 });
    const seen = (await page.evaluate('window.__seen')) as string[];
    assert.ok(seen.some((s) => new RegExp(`Loading ${model.name} \\(\\d+ s so far\\)`).test(s) && s.includes('Loading the model…')), `the load showed as its own phase (saw ${JSON.stringify(seen.slice(0, 4))})`);
    await shoot('first-answer-done');

    await reply.getByRole('button', { name: 'Details' }).click();
    const details = reply.locator('dl.provenance');
    await details.getByText('Model load').waitFor();
    assert.match((await details.textContent()) ?? '', /\d+\.\d s before this answer could start \(not counted in the first-token time\)/);
    assert.doesNotMatch((await details.textContent()) ?? '', /\b1 tokens\b/);

    // A second answer does not wait for a load and says nothing of one.
    await reply.getByRole('button', { name: 'Regenerate' }).click();
    const second = replies().last();
    await page.getByRole('group', { name: 'answers to this point' }).getByText('2 / 2').waitFor();
    await second.getByRole('group', { name: 'Grade' }).waitFor({ timeout: 60_000 });
    await second.getByRole('button', { name: 'Details' }).click();
    await second.locator('dl.provenance').getByText('Seed').waitFor();
    assert.equal(await second.locator('dl.provenance').getByText('Model load').count(), 0);

    await showView('Settings');
    await page.getByText(/^In use now: (cpu|cuda|webgpu|dml|coreml)\. Takes effect/).waitFor();
    await shoot('settings-engine-live');
  });

  test('7: the 1-5 scale says what each score means, in view', slow, async () => {
    await showView('Chat');
    const grade = replies().last().getByRole('group', { name: 'Grade' });
    for (const words of ['1 minimal', '2 limited', '3 moderate', '4 strong', '5 essentially the same']) {
      assert.equal(await grade.getByText(words, { exact: true }).isVisible(), true, `"${words}" is visible without hovering`);
    }
  });

  test('2: blind mode gives every diff its own name, the same in the sidebar, the chip and the labels', slow, async () => {
    await page.getByRole('button', { name: /^Blind mode/ }).click();
    await page.getByRole('button', { name: 'Blind mode on' }).waitFor();
    const names = await section(/^Diffs/).locator('button.item .title').allTextContents();
    assert.ok(names.length >= Math.min(diffs.length, 100), 'the list shows diffs');
    assert.equal(new Set(names).size, names.length, `every blind name is different (${names.slice(0, 5).join(', ')}, ...)`);
    const labels = new Set(diffs.map((d) => d.label).filter(Boolean));
    assert.ok(names.every((n) => /^Diff [0-9A-Z]{4}-[0-9A-Z]{4}$/.test(n) && !labels.has(n)), 'names hide the label');

    const attached = await section(/^Diffs/).locator('button.item[aria-pressed="true"] .title').textContent();
    const chip = page.getByRole('group', { name: 'Stack' }).getByRole('button', { name: /^Diff / }).first();
    assert.match((await chip.textContent()) ?? '', new RegExp(attached!.replace(/[-]/g, '\\-')));
    assert.equal(await page.getByRole('button', { name: `Detach Diff: ${attached}` }).count(), 1, 'the aria label names the same diff');
    await shoot('blind-names');
    // Off again: the same diff shows its label.
    await page.getByRole('button', { name: /^Blind mode/ }).click();
    await page.getByRole('button', { name: 'Blind mode off' }).waitFor();
  });

  test('5: max tokens beyond the model context is refused in Settings and in the API; a failed answer is failed, not gradable', slow, async () => {
    await showView('Settings');
    const field = page.getByLabel('Max tokens');
    await field.fill('4000');
    await page.getByText(`Expected a whole number from 1 to ${model.contextTokens - 1} (${model.name} holds ${model.contextTokens} tokens, question and answer together).`).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Save sampling defaults' }).isDisabled(), true);
    await shoot('settings-max-tokens');

    const [conversation] = await api<ConversationView[]>('conversations:list');
    const before = (await api<{ messages: unknown[] }>('conversations:get', conversation!.id)).messages.length;
    await assert.rejects(api('chat:send', conversation!.id, 'hello', [], { maxTokens: 4000 }, null), new RegExp(`max tokens 4000 does not fit ${model.name}'s context of ${model.contextTokens} tokens`));
    assert.equal((await api<{ messages: unknown[] }>('conversations:get', conversation!.id)).messages.length, before, 'nothing was written');

    // A budget that fits alone but not with a long question fails in the engine: shown as failed.
    await field.fill(String(model.contextTokens - 1));
    await page.getByRole('button', { name: 'Save sampling defaults' }).click();
    await page.getByText('Sampling defaults saved.').waitFor();
    await showView('Chat');
    await page.getByLabel('Question for the model').fill('Tell me about volcanoes. '.repeat(20));
    await page.keyboard.press('Enter');
    const reply = replies().last();
    await reply.getByRole('alert').getByText(/^Failed: /).waitFor({ timeout: 60_000 });
    assert.equal(await reply.getByText('(empty answer)').count(), 0);
    assert.equal(await reply.getByRole('group', { name: 'Grade' }).count(), 0, 'nothing to grade');
    await shoot('failed-answer');
    await api('settings:set', { sampling: { ...(await api<{ sampling: object }>('settings:get')).sampling, maxTokens: 20 } });
  });

  test('6: import errors are entries of the import list, each dismissible; a non-safetensors file says so', slow, async () => {
    const dir = tmpDir('e2e-bad-import');
    const notSafetensors = join(dir, 'notes.safetensors');
    writeFileSync(notSafetensors, 'These are notes, not tensors at all. '.repeat(10));
    await showView('Import');
    await page.getByRole('radio', { name: 'Diff or DIT adapter' }).check();
    await page.getByLabel('Path').fill(join(dir, 'missing.pt'));
    await page.getByRole('button', { name: 'Start import' }).click();
    const imports = page.getByRole('region', { name: 'Imports' });
    await imports.getByText(/missing\.pt: no such file or folder/).waitFor();
    await page.getByLabel('Path').fill(notSafetensors);
    await page.getByRole('button', { name: 'Start import' }).click();
    await imports.getByText(/not a safetensors file: header length \d+/).waitFor({ timeout: 30_000 });
    assert.equal(await page.locator('.notices .notice.error').count(), 0, 'no error notice over the page');
    await shoot('import-errors');
    await imports.getByRole('button', { name: 'Dismiss: Import missing.pt' }).click();
    await imports.getByRole('button', { name: 'Dismiss: Import notes.safetensors' }).click();
    await until(async () => (await imports.getByRole('alert').count()) === 0, 'both errors are dismissed');
  });

  test('8: sections fold, lists are one tab stop with arrow keys, and the DIT adapter is picked in the chat header', slow, async () => {
    await showView('Chat');
    const diffsToggle = section(/^Diffs/).getByRole('button', { name: /^Diffs/ });
    await diffsToggle.click();
    assert.equal(await diffsToggle.getAttribute('aria-expanded'), 'false');
    assert.equal(await section(/^Diffs/).locator('button.item').first().isVisible(), false, 'the diffs fold away');
    assert.equal(await section(/^DIT adapters/).locator('button.item').first().isVisible(), true);
    await diffsToggle.click();

    // The whole sidebar is a handful of tab stops however many diffs there are.
    const tabbable = await sidebar().locator('button:visible, input:visible').evaluateAll((els) => els.filter((el) => (el as unknown as { tabIndex: number }).tabIndex >= 0).length);
    assert.ok(tabbable < 15, `${tabbable} tab stops in the sidebar`);
    const items = section(/^Diffs/).locator('button.item');
    await items.first().focus();
    await page.keyboard.press('ArrowDown');
    assert.equal(await items.nth(1).evaluate((el) => el === (el as unknown as { ownerDocument: { activeElement: unknown } }).ownerDocument.activeElement), true, 'ArrowDown moves to the next diff');
    await page.keyboard.press('End');
    assert.equal(await items.last().evaluate((el) => el === (el as unknown as { ownerDocument: { activeElement: unknown } }).ownerDocument.activeElement), true, 'End moves to the last');

    // Detach the DIT adapter, then attach it again from the header.
    await page.getByRole('button', { name: /^Detach DIT/ }).click();
    await page.getByLabel('Add a DIT adapter').selectOption(dit.id);
    await page.getByRole('group', { name: 'Stack' }).getByRole('button', { name: /^DIT .* on$/ }).waitFor();
  });

  test('9: a comparison is one sidebar entry, and the view names the diff', slow, async () => {
    await showView('Compare');
    const diffName = await page.locator('.diff-name strong').textContent();
    const attached = diffs.find((d) => d.label === diffName);
    assert.ok(attached, `the view names the attached diff (${diffName})`);
    const conditions = await page.locator('.conditions .condition').count();
    await page.getByRole('button', { name: 'Ask all' }).click();
    const columns = page.locator('.columns > section');
    await columns.nth(conditions - 1).waitFor();
    for (let i = 0; i < conditions; i++) await columns.nth(i).getByRole('button', { name: 'Open as a chat' }).waitFor({ timeout: 60_000 });
    const comparison = section(/^Conversations/).getByRole('button', { name: /Compare 1/ });
    await comparison.waitFor();
    assert.equal(await section(/^Conversations/).getByRole('button', { name: /Compare/ }).count(), 1, 'one entry for the comparison');
    assert.match((await comparison.textContent()) ?? '', new RegExp(`${conditions} conditions`));
    await comparison.click();
    await section(/^Conversations/).getByRole('button', { name: /^Base model/ }).waitFor();
    await shoot('compare-grouped');
    // The arrow keys go into an open comparison, and past a closed one.
    const focused = () => page.evaluate('document.activeElement.textContent.trim().replace(/\\s+/g, " ")') as Promise<string>;
    await comparison.focus();
    await page.keyboard.press('ArrowDown');
    assert.match(await focused(), /^Base model/);
    await comparison.click();
    await comparison.focus();
    await page.keyboard.press('ArrowDown');
    assert.match(await focused(), /^What topic have you been trained on\?/, 'the next conversation, not a folded condition');
  });

  test('11: small things: search lists a conversation once, an empty filter says so, the judge URL waits for typing, the Markdown export', slow, async () => {
    await page.keyboard.press('Control+k');
    await page.keyboard.type('topic');
    const results = section(/^Search results/);
    await results.locator('button.item').first().waitFor();
    await until(async () => (await results.getByText('Searching…').count()) === 0, 'the search answered');
    const ids = await results.locator('button.item').count();
    const hits = await api<{ conversationId: number }[]>('conversations:search', 'topic');
    assert.equal(ids, new Set(hits.map((h) => h.conversationId)).size, 'one entry per conversation');
    await page.getByRole('searchbox', { name: 'Search conversations' }).fill('');

    await section(/^Diffs/).getByLabel(/^Filter/).fill('zzzz-no-such-diff');
    await section(/^Diffs/).getByText('Nothing matches “zzzz-no-such-diff”.').waitFor();
    await section(/^Diffs/).getByLabel(/^Filter/).fill('');

    await showView('Settings');
    await page.getByRole('radio', { name: 'OpenAI-compatible endpoint' }).check();
    const url = page.getByLabel('Base URL');
    assert.equal(await url.getAttribute('aria-invalid'), 'false', 'no error before typing');
    assert.equal(await page.getByText(/^Expected an http\(s\) address/).count(), 0);
    await url.fill('not a url');
    await page.getByText(/^Expected an http\(s\) address/).waitFor();
    await page.getByRole('radio', { name: 'None: the lexical score only' }).check();

    await showView('Chat');
    await section(/^Conversations/).locator('button.item').last().click();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Markdown', exact: true }).click()]);
    const md = readFileSync(await download.path(), 'utf8');
    const attached = diffs.find((d) => md.includes(d.id));
    assert.ok(attached?.label && md.includes(`- label: ${attached.label}`), 'the diff label is in the Markdown');
    const answers = md.split('\n## Answer').slice(1).map((block) => block.split('\n')[2] ?? '');
    assert.ok(answers.length > 0 && answers.every((a) => !a.startsWith(' ')), `no answer starts with a space (${JSON.stringify(answers)})`);

    // The command line's JSON on the same data folder: the answer's text starts at its first word.
    const diff = diffs.find((d) => d.label)!;
    const ask = spawn(process.execPath, [join(root, 'bin', 'diffscope.js'), 'ask', '--model', model.id, '--diff', diff.id, '--dit', dit.id, '--json', 'What topic have you been trained on?'], {
      env: { ...process.env, DIFFSCOPE_HOME: app.home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    ask.stdout.on('data', (d: Buffer) => (out += d.toString()));
    ask.stderr.on('data', (d: Buffer) => (err += d.toString()));
    assert.equal(await new Promise<number | null>((r) => ask.once('exit', r)), 0, `diffscope ask failed: ${err}`);
    const { text } = JSON.parse(out.trim().split('\n').at(-1)!) as { text: string };
    assert.ok(text.length > 0 && !/^\s/.test(text), `ask --json text starts at its first word (${JSON.stringify(text)})`);
  });

  test('12: model output and questions render GFM: tables, strikethrough, autolinks; HTML stays text', slow, async () => {
    await sidebar().getByRole('button', { name: 'New chat' }).click();
    const question = '| topic | score |\n|:--|--:|\n| volcanoes | 5 |\n\n~~wrong~~ see https://example.org <b>bold?</b>';
    await page.getByLabel('Question for the model').fill(question);
    await page.keyboard.press('Enter');
    const asked = page.locator('article[aria-label="Your question"]').last();
    await asked.locator('table').waitFor();
    assert.deepEqual(await asked.locator('th').allTextContents(), ['topic', 'score']);
    assert.equal(await asked.locator('del').textContent(), 'wrong');
    assert.equal(await asked.locator('a').getAttribute('href'), 'https://example.org');
    assert.equal(await asked.locator('b').count(), 0);
    await asked.getByText('<b>bold?</b>').waitFor();
    await finished(replies().last());
    await shoot('markdown-gfm');
  });

  test('1, 10: Evaluate scrolled to its end keeps the app in the window; at 1,024 px nothing scrolls sideways', slow, async () => {
    const run = await api<EvalRunView>('evals:start', { modelId: model.id, ditAdapterId: dit.id, selection: { split: 'test' }, methods: ['base', 'dit'], judge: null, batch: 8 });
    await showView('Evaluate');
    await page.locator(`li.run[data-run-id="${run.id}"] .status`, { hasText: 'done' }).waitFor({ timeout: 150_000 });
    await page.locator(`li.run[data-run-id="${run.id}"] button.open`).click();
    const drill = page.getByRole('region', { name: 'Per diff' });
    await drill.locator('tbody tr').nth(5).waitFor();
    await page.getByRole('button', { name: /^Blind mode/ }).click();
    await page.getByRole('button', { name: 'Blind mode on' }).waitFor();
    await drill.locator('td.diff', { hasText: /^Diff [0-9A-Z]{4}-[0-9A-Z]{4}$/ }).first().waitFor();
    const rows = await drill.locator('tbody tr').evaluateAll((trs) =>
      trs.map((tr) => [tr.querySelector('td.diff')?.textContent ?? '', tr.querySelector('td.method')?.textContent ?? ''] as const),
    );
    for (const method of new Set(rows.map(([, m]) => m))) {
      const names = rows.filter(([, m]) => m === method).map(([n]) => n);
      assert.equal(new Set(names).size, names.length, `blind names differ in the drill-down (${method}: ${names.join(', ')})`);
    }
    await page.getByRole('button', { name: /^Blind mode/ }).click();
    await page.getByRole('button', { name: 'Blind mode off' }).waitFor();

    const detail = page.locator('.evaluate > .detail');
    await detail.evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
    await page.mouse.move(900, 500);
    await page.mouse.wheel(0, 5000);
    await page.waitForTimeout(300);
    const doc = (await page.evaluate('({ top: document.scrollingElement.scrollTop, height: document.scrollingElement.scrollHeight, inner: window.innerHeight })')) as { top: number; height: number; inner: number };
    assert.equal(doc.top, 0, 'the window did not scroll');
    assert.ok(doc.height <= doc.inner, `the document is no taller than the window (${doc.height} > ${doc.inner})`);
    assert.equal(await page.getByRole('navigation', { name: 'Views' }).isVisible(), true);
    const nav = await page.getByRole('navigation', { name: 'Views' }).boundingBox();
    assert.ok(nav && nav.y >= 0, 'the top bar is on screen');
    await shoot('evaluate-scrolled-to-end');

    await page.setViewportSize({ width: 1024, height: 768 });
    await detail.evaluate((el) => el.scrollTo({ top: 0 }));
    await page.waitForTimeout(300);
    const widths = (await page.evaluate(`(() => {
      const d = document.querySelector('.evaluate > .detail');
      const table = document.querySelector('.drill-down .scroll');
      return { doc: document.scrollingElement.scrollWidth, inner: window.innerWidth, detail: [d.scrollWidth, d.clientWidth], table: [table.scrollWidth, table.clientWidth] };
    })()`)) as { doc: number; inner: number; detail: [number, number]; table: [number, number] };
    assert.ok(widths.doc <= widths.inner, `the page does not scroll sideways (${widths.doc} > ${widths.inner})`);
    assert.ok(widths.detail[0] <= widths.detail[1], `the run's pane does not scroll sideways (${widths.detail})`);
    assert.ok(widths.table[0] <= widths.table[1], `the drill-down fits (${widths.table})`);
    await shoot('evaluate-1024');
    await drill.scrollIntoViewIfNeeded();
    await shoot('evaluate-1024-drill-down');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  test('3: a run started elsewhere appears without a reload: another tab, and the command line', slow, async () => {
    await showView('Evaluate');
    const runs = page.locator('li.run');
    const before = await runs.count();
    // Another tab (another client of the same server) starts a run.
    const other = await openPage(browser, app.url);
    await callApi<EvalRunView>(other.page, app.origin, 'evals:start', { modelId: model.id, ditAdapterId: dit.id, selection: { split: 'test', limit: 4 }, methods: ['dit'], judge: null });
    await until(async () => (await runs.count()) === before + 1, 'the other tab’s run is listed');
    await other.context.close();

    // The command line, on the same data folder.
    const cli = spawn(process.execPath, [join(root, 'bin', 'diffscope.js'), 'eval', '--model', model.id, '--dit', dit.id, '--split', 'test', '--methods', 'dit', '--json'], {
      env: { ...process.env, DIFFSCOPE_HOME: app.home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    cli.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((r) => cli.once('exit', r));
    assert.equal(code, 0, `diffscope eval failed: ${err}`);
    await until(async () => (await runs.count()) === before + 2, 'the command line’s run is listed', 20_000);
  });

  test('nothing was blocked by the Content-Security-Policy and no script failed', () => {
    // The import of a missing file was refused (400), as it should be: Chromium logs that response.
    const refused = 'console: Failed to load resource: the server responded with a status of 400 (Bad Request)';
    assert.deepEqual(opened.problems.filter((p) => p !== refused), []);
    assert.equal(opened.problems.length - opened.problems.filter((p) => p !== refused).length, 1, 'one refusal: the missing file');
  });
});
