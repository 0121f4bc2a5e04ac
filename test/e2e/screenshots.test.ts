// Screenshots of the main screens in both themes, for the README and for looking at the UI:
//   DIFFSCOPE_SCREENSHOTS=1 npm test -- e2e/screenshots        (writes docs/screenshots/*.png)
//   DIFFSCOPE_SCREENSHOTS=/tmp/shots npm test -- e2e/screenshots
// Skipped otherwise: it checks nothing the other e2e tests do not.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { AdapterView } from '../../src/shared/api.ts';
import { callApi, haveChromium, launch, openPage, type OpenedPage } from './helpers/browser.ts';
import { startDiffscope, type Diffscope } from './helpers/server.ts';

const wanted = process.env.DIFFSCOPE_SCREENSHOTS;
const outDir = wanted === '1' ? join(import.meta.dirname, '..', '..', 'docs', 'screenshots') : wanted;
const skip = !outDir ? 'set DIFFSCOPE_SCREENSHOTS=1 to write docs/screenshots' : haveChromium() ? false : 'no Chromium';

describe('screenshots of the main screens', { skip, timeout: 300_000 }, () => {
  let app: Diffscope;
  let browser: Browser;
  let opened: OpenedPage;
  let page: Page;

  const show = (name: string) => page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name, exact: true }).click();
  const section = (name: RegExp) => page.getByRole('navigation', { name: 'Catalog' }).getByRole('region', { name });
  const graded = (scope = page.locator('main')) => scope.getByRole('group', { name: 'Grade' }).last().waitFor({ timeout: 60_000 });
  const shoot = async (name: string) => {
    await page.mouse.move(0, 0); // no hover effects
    await page.screenshot({ path: join(outDir!, `${name}.png`) });
  };

  before(async () => {
    mkdirSync(outDir!, { recursive: true });
    app = await startDiffscope();
    browser = await launch();
    opened = await openPage(browser, app.url);
    page = opened.page;
  });

  after(async () => {
    await browser?.close();
    await app?.close();
  });

  test('set up a conversation worth showing', async () => {
    const adapters = await callApi<AdapterView[]>(page, app.origin, 'adapters:list', {});
    if (adapters.some((a) => a.kind !== 'dit')) await section(/^Diffs/).getByRole('listitem').getByRole('button').first().click();
    if (adapters.some((a) => a.kind === 'dit')) await section(/^DIT adapters/).getByRole('listitem').getByRole('button').first().click();
    await page.getByRole('button', { name: 'Hidden topic', exact: true }).click();
    await graded();
    const trigger = page.getByRole('button', { name: 'Hidden topic, with trigger' });
    if (await trigger.isEnabled()) {
      await trigger.click();
      await page.getByRole('group', { name: 'Grade' }).nth(1).waitFor({ timeout: 60_000 });
    }
    const first = page.locator('article[aria-label="Answer"]').first();
    await first.getByRole('radio', { name: /^4/ }).check();
    await first.getByLabel('Note on the grade').fill('names the topic');
    await first.getByRole('button', { name: 'Save grade' }).click();
    await first.getByText('Graded 4/5').waitFor();
    // The offline lexical score beside the person's grade. (No judge: the demo model is too small to
    // be one, and a judge's raw "not a number" would only show that.)
    const answer = page.locator('article[aria-label="Answer"]').last();
    await answer.getByRole('group', { name: 'Judge or lexical score' }).getByRole('button', { name: 'Lexical' }).click();
    await answer.getByText(/^Lexical \(offline\)/).waitFor();
  });

  for (const theme of ['light', 'dark'] as const) {
    test(`${theme}: chat, compare, import, settings`, async () => {
      await callApi(page, app.origin, 'settings:set', { theme });
      await page.reload();
      await section(/^Conversations/).getByRole('listitem').getByRole('button').last().click();
      await graded();
      await page.locator('article[aria-label="Answer"]').last().getByRole('button', { name: 'Details' }).click();
      await shoot(`chat-${theme}`);
      // The compare view's columns live in the page: ask again after the reload.
      await show('Compare');
      await page.getByRole('button', { name: 'Ask all' }).click();
      const n = await page.locator('.conditions .condition').count();
      for (let i = 0; i < n; i++) await graded(page.locator('.columns > section').nth(i));
      await shoot(`compare-${theme}`);
      await show('Import');
      await page.getByRole('radio', { name: 'Diff or DIT adapter' }).check();
      await page.getByLabel('Path').fill('/data/loras/hidden-topic/qwen3-4b/weight-diffs/weight-diff-000.pt');
      await shoot(`import-${theme}`);
      await show('Settings');
      await shoot(`settings-${theme}`);
      await show('Chat');
    });

    test(`${theme}: evaluate, running and with results`, async () => {
      await show('Evaluate');
      const form = page.getByRole('form', { name: 'New evaluation' });
      // The demo's held-out test diffs with the paper's judge-free methods and the offline score: the
      // demo model's 512-token context cannot hold a 20-questions transcript, so no 20Q here.
      await form.getByLabel('Split', { exact: true }).selectOption('test');
      await form.getByRole('radio', { name: 'Lexical score (offline)' }).check();
      await form.getByRole('checkbox', { name: 'base Q + trigger', exact: true }).check();
      await form.getByLabel('Batch size', { exact: true }).fill('2');
      await form.getByRole('button', { name: 'Start' }).click();
      // Caught between two batches: some items done, some left.
      const run = page.locator('li.run').first();
      await run.locator('.run-progress p').filter({ hasText: /^[1-9]\d* \/ \d+ items.*left/ }).waitFor({ timeout: 120_000 });
      await shoot(`evaluate-running-${theme}`);
      await run.locator('.status', { hasText: 'done' }).waitFor({ timeout: 300_000 });
      await page.getByRole('img', { name: /^Mean score per method/ }).waitFor();
      await shoot(`evaluate-results-${theme}`);
      // The drill-down's top at the top of the run's column (scrollIntoView would scroll the whole page too).
      await page.evaluate(`(() => {
        const el = document.querySelector('section[aria-labelledby="items-heading"]');
        const column = el.closest('.detail');
        column.scrollTop += el.getBoundingClientRect().top - column.getBoundingClientRect().top - 8;
      })()`);
      await shoot(`evaluate-drill-down-${theme}`);
      await show('Chat');
    });

    test(`${theme}: evaluate, the paper's settings on the demo`, async () => {
      await show('Evaluate');
      await page.getByRole('button', { name: 'Show the demo’s settings' }).click();
      const report = page.getByRole('region', { name: 'The paper’s settings on the demo' });
      const evaluate = report.getByRole('button', { name: 'Evaluate every setting' });
      await report.locator('table, p.empty').first().waitFor(); // the last report, read, or none yet
      if ((await report.getByRole('table').count()) === 0) {
        await evaluate.click();
        await report.getByRole('button', { name: 'Evaluating…' }).waitFor();
      }
      await evaluate.waitFor({ timeout: 300_000 });
      await report.getByRole('table').first().waitFor();
      await shoot(`evaluate-demo-settings-${theme}`);
      await show('Chat');
    });
  }

  test('no CSP violation or script error while shooting', () => {
    assert.deepEqual(opened.problems, []);
  });
});
