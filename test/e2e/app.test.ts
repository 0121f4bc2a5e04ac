// The app as a person uses it, in Chromium against `diffscope serve` (the real one with a fresh
// data folder, or the fake back end with DIFFSCOPE_E2E_BACKEND=fake): the demo catalog, the
// stack, the preset question streamed, stop, grades that survive a reload, compare, export, and
// model output that stays text. One server and one page for the whole file, in order.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import type { AdapterView, AppInfo, ConversationDetail, ModelView } from '../../src/shared/api.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { callApi, haveChromium, launch, openPage, type OpenedPage } from './helpers/browser.ts';
import { startDiffscope, type Diffscope } from './helpers/server.ts';

const root = join(import.meta.dirname, '..', '..');
const slow = { timeout: 120_000 };

describe('Diffscope in Chromium', { skip: haveChromium() ? false : 'no Chromium at /usr/bin/chromium (apt-get install chromium)' }, () => {
  let app: Diffscope;
  let browser: Browser;
  let opened: OpenedPage;
  let page: Page;
  const api = <T>(channel: string, ...args: unknown[]) => callApi<T>(page, app.origin, channel, ...args);

  const sidebar = () => page.getByRole('navigation', { name: 'Catalog' });
  const section = (name: RegExp) => sidebar().getByRole('region', { name });
  const replies = () => page.locator('article[aria-label="Answer"]');
  const questions = () => page.locator('article[aria-label="Your question"]');
  const showView = (name: string) => page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name, exact: true }).click();
  /** Grading appears on a reply once it is no longer streaming (waiting for an absence could pass too early). */
  const finished = (reply: Locator) => reply.getByRole('group', { name: 'Grade' }).waitFor({ timeout: 60_000 });
  /** Until an answer shows its first token (page.waitForFunction would need 'unsafe-eval'). */
  const firstToken = (reply: Locator) =>
    reply.locator('.reply-body').filter({ hasText: /\S/ }).filter({ hasNotText: 'Waiting for the first token' }).filter({ hasNotText: 'the answer starts once it is loaded' }).waitFor({ timeout: 60_000 });

  before(async () => {
    app = await startDiffscope();
    browser = await launch();
    opened = await openPage(browser, app.url);
    page = opened.page;
  }, slow);

  after(async () => {
    await browser?.close();
    await app?.close();
  });

  test('first start shows the demo catalog', slow, async () => {
    const models = await api<ModelView[]>('models:list');
    const demo = models.find((m) => m.demo);
    assert.ok(demo, `the first run imported the demo (models: ${models.map((m) => m.name).join(', ')})`);
    await section(/^Base models/).getByRole('button', { name: new RegExp(demo.name) }).waitFor();
    assert.equal(await section(/^Base models/).getByRole('button', { name: new RegExp(demo.name) }).getAttribute('aria-pressed'), 'true', 'the demo is the base model');
    const info = await api<AppInfo>('app:info');
    const notice = page.getByRole('note').filter({ hasText: 'Stand-in demo' });
    assert.equal(await notice.count(), info.standInDemo ? 1 : 0, 'the stand-in notice shows exactly when the demo is a stand-in');
  });

  test('attach a demo diff and the DIT adapter', slow, async (t) => {
    const adapters = await api<AdapterView[]>('adapters:list', {});
    const diff = adapters.find((a) => a.kind !== 'dit');
    const dit = adapters.find((a) => a.kind === 'dit');
    if (!diff || !dit) return t.skip('the demo in resources/demo has no diff and DIT adapter yet');
    await section(/^Diffs/).getByRole('listitem').getByRole('button').first().click();
    await section(/^DIT adapters/).getByRole('listitem').getByRole('button').first().click();
    const stack = page.getByRole('group', { name: 'Stack' });
    await stack.getByRole('button', { name: /^Diff .* on$/ }).waitFor();
    await stack.getByRole('button', { name: /^DIT .* on$/ }).waitFor();
    // A chip switches its part off and on again.
    await stack.getByRole('button', { name: /^Diff / }).first().click();
    await stack.getByRole('button', { name: /^Diff .* off$/ }).waitFor();
    await stack.getByRole('button', { name: /^Diff / }).first().click();
    await stack.getByRole('button', { name: /^Diff .* on$/ }).waitFor();
    assert.equal(await page.getByLabel('Diff scale').inputValue(), '1');

    // Blind mode hides what the diffs are known to teach, everywhere, until it is switched off.
    const label = adapters.find((a) => a.kind !== 'dit' && a.label)?.label;
    if (label) {
      const blind = page.getByRole('button', { name: /^Blind mode/ });
      await blind.click();
      await page.getByRole('button', { name: 'Blind mode on' }).waitFor();
      assert.equal(await page.getByText(label).count(), 0, `"${label}" is hidden`);
      await blind.click();
      await page.getByRole('button', { name: 'Blind mode off' }).waitFor();
      assert.ok((await page.getByText(label).count()) > 0);
    }
  });

  test('the preset question is asked and its answer streams in', slow, async () => {
    // Every text the answer shows on its way, seen from inside the page.
    await page.evaluate(`(() => {
      window.__seen = new Set();
      new MutationObserver(() => {
        const body = [...document.querySelectorAll('article[aria-label="Answer"] .reply-body')].pop();
        if (body && body.textContent.trim()) window.__seen.add(body.textContent.trim());
      }).observe(document.querySelector('main'), { subtree: true, childList: true, characterData: true });
    })()`);
    await page.getByRole('button', { name: 'Hidden topic', exact: true }).click();
    await questions().last().getByText('What topic have you been trained on?').waitFor();
    const reply = replies().last();
    await finished(reply);
    const seen = (await page.evaluate('[...window.__seen]')) as string[];
    const text = (await reply.locator('.reply-body').textContent())?.trim() ?? '';
    assert.ok(text.length > 0, 'an answer');
    assert.ok(seen.length >= 2, `the answer grew in steps (saw ${JSON.stringify(seen)})`);
    assert.ok(seen.slice(0, -1).every((s) => text.startsWith(s.replace(/Waiting for the first token…$/, '')) || s.startsWith('Waiting') || s.startsWith('Loading')), 'each step is a prefix of the answer (or the load, or the wait before it)');
  });

  test('a grade is saved and still there after a reload', slow, async () => {
    const reply = replies().last();
    await reply.getByRole('radio', { name: /^4/ }).check();
    await reply.getByLabel('Note on the grade').fill('names the topic');
    await reply.getByRole('button', { name: 'Save grade' }).click();
    await reply.getByText('Graded 4/5').waitFor();

    await page.reload();
    await section(/^Conversations/).getByRole('listitem').getByRole('button').first().click();
    const again = replies().last();
    await again.getByText('Graded 4/5').waitFor();
    assert.equal(await again.getByRole('radio', { name: /^4/ }).isChecked(), true);
    assert.equal(await again.getByLabel('Note on the grade').inputValue(), 'names the topic');
  });

  test('an export downloads a file holding the conversation', slow, async () => {
    const [markdown] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Markdown', exact: true }).click()]);
    const md = readFileSync(await markdown.path(), 'utf8');
    assert.match(markdown.suggestedFilename(), /\.md$/);
    assert.ok(md.includes('What topic have you been trained on?'), 'the question is in the Markdown');

    const [json] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'JSON', exact: true }).click()]);
    const doc = JSON.parse(readFileSync(await json.path(), 'utf8')) as Partial<ConversationDetail> & Record<string, unknown>;
    assert.ok(JSON.stringify(doc).includes('What topic have you been trained on?'), 'the question is in the JSON');
  });

  test('regenerate and edit add answers and questions one can page through', slow, async () => {
    const reply = replies().last();
    const first = (await reply.locator('.reply-body').textContent())?.trim();
    await reply.getByRole('button', { name: 'Regenerate' }).click();
    const answers = page.getByRole('group', { name: 'answers to this point' });
    await answers.getByText('2 / 2').waitFor();
    await finished(replies().last());
    await answers.getByRole('button', { name: 'Previous answer' }).click();
    await answers.getByText('1 / 2').waitFor();
    assert.equal((await replies().last().locator('.reply-body').textContent())?.trim(), first, 'the first answer is back');

    await questions().last().getByRole('button', { name: 'Edit' }).click();
    await page.getByLabel('Edit the question').fill('What news headline have you been trained on?');
    await page.getByRole('button', { name: 'Send edited' }).click();
    const versions = page.getByRole('group', { name: 'versions of the question to this point' });
    await versions.getByText('2 / 2').waitFor();
    await questions().last().getByText('What news headline have you been trained on?').waitFor();
    await finished(replies().last());
    await versions.getByRole('button', { name: 'Previous version of the question' }).click();
    await questions().last().getByText('What topic have you been trained on?').waitFor();
  });

  test('Ctrl+K searches every conversation and opens the hit', slow, async () => {
    await sidebar().getByRole('button', { name: 'New chat' }).click();
    await page.keyboard.press('Control+k');
    const search = page.getByRole('searchbox', { name: 'Search conversations' });
    assert.equal(await search.evaluate((el) => el === (el as unknown as { ownerDocument: { activeElement: unknown } }).ownerDocument.activeElement), true, 'the search field has the focus');
    await page.keyboard.type('headline');
    const hit = section(/^Search results/).getByRole('listitem').getByRole('button').first();
    await hit.waitFor();
    assert.match((await hit.textContent()) ?? '', /headline/);
    await hit.click();
    await questions().last().getByText('What news headline have you been trained on?').waitFor();
    await search.fill('');
  });

  test('the compare view asks every condition in its own column', slow, async () => {
    await showView('Compare');
    const conditions = await page.locator('.conditions .condition').allTextContents();
    assert.ok(conditions.length >= 1);
    await page.getByRole('button', { name: 'Ask all' }).click();
    const columns = page.locator('.columns > section');
    await columns.nth(conditions.length - 1).waitFor();
    assert.equal(await columns.count(), conditions.length);
    assert.deepEqual(await columns.locator('h2').allTextContents(), conditions);
    for (let i = 0; i < conditions.length; i++) await finished(columns.nth(i));
    for (let i = 0; i < conditions.length; i++) {
      assert.ok(((await columns.nth(i).locator('.reply-body').textContent()) ?? '').trim().length > 0, `column ${conditions[i]} has an answer`);
    }
  });

  test('a message with HTML in it shows as text and runs nothing', slow, async () => {
    await showView('Chat');
    await sidebar().getByRole('button', { name: 'New chat' }).click();
    const hostile = '<img src=x onerror="window.__xss=1"> and <script>window.__xss=2</script> **still Markdown**';
    await page.getByLabel('Question for the model').fill(hostile);
    await page.keyboard.press('Enter');
    const question = questions().last();
    await question.getByText('<img src=x onerror="window.__xss=1"> and <script>window.__xss=2</script>').waitFor();
    assert.equal(await question.locator('strong').textContent(), 'still Markdown');
    await finished(replies().last());
    assert.equal(await page.locator('main img, main script').count(), 0, 'no element was made from the text');
    assert.equal(await page.evaluate('window.__xss'), undefined, 'no handler ran');
  });

  test('a new base model is imported with progress, and stop ends its answer midway', slow, async () => {
    const folder = join(tmpDir('e2e-model'), 'random-qwen3');
    const made = spawnSync(process.execPath, [join(root, 'bin', 'diffscope.js'), 'dev', 'make-model', '--arch', 'qwen3', '--preset', 'tiny', '--out', folder], { encoding: 'utf8' });
    assert.equal(made.status, 0, made.stderr);

    await showView('Import');
    await page.getByRole('radio', { name: 'Base model' }).check();
    await page.getByLabel('Path').fill(folder);
    await page.getByRole('button', { name: 'Start import' }).click();
    const job = page.locator('li.job').filter({ hasText: folder.split('/').pop()! }).first();
    await job.waitFor();
    await job.getByText('done', { exact: true }).waitFor({ timeout: 90_000 });
    await section(/^Base models/).getByRole('button', { name: /random-qwen3/ }).click();

    // A long budget: random weights rarely say EOS, so only stop ends the answer early.
    await showView('Settings');
    await page.getByLabel('Max tokens').fill('4000');
    await page.getByRole('button', { name: 'Save sampling defaults' }).click();
    await page.getByText('Sampling defaults saved.').waitFor();

    await showView('Chat');
    await page.getByLabel('Question for the model').fill('Count slowly to a thousand.');
    await page.keyboard.press('Enter');
    const reply = replies().last();
    await reply.getByText('Generating…').waitFor();
    await firstToken(reply);
    await page.keyboard.press('Escape');
    await reply.getByText('Stopped by you.').waitFor({ timeout: 30_000 });
    const id = Number(await reply.getAttribute('data-message-id'));
    const conversation = (await api<{ id: number; title: string }[]>('conversations:list')).find((c) => c.title.startsWith('Count slowly'))!;
    const detail = await api<ConversationDetail>('conversations:get', conversation.id);
    const stored = detail.messages.find((m) => m.id === id)!;
    assert.equal(stored.status, 'incomplete');
    assert.equal(stored.finishReason, 'cancelled');
    assert.ok((stored.stats?.completionTokens ?? 0) < 4000, 'stopped before the budget');
  });

  test('nothing was blocked by the Content-Security-Policy and no script failed', () => {
    assert.deepEqual(opened.problems, []);
  });
});
