// Samples per condition in the Compare view, in Chromium against the REAL `diffscope serve`: with a
// diff and the DIT adapter attached, N answers per condition are drawn at a temperature and seed,
// the DIT condition's distinct answers are counted (a plain tally of the answers shown agrees), the
// same seed draws the same again, and a wrong field says what is wrong. Screenshots in both themes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { AdapterView } from '../../src/shared/api.ts';
import { callApi, haveChromium, launch, openPage, type OpenedPage } from './helpers/browser.ts';
import { backendKind, startDiffscope, type Diffscope } from './helpers/server.ts';

const slow = { timeout: 180_000 };
const shots = join(import.meta.dirname, '..', '..', 'docs', 'screenshots');
const skip = !haveChromium() ? 'no Chromium at /usr/bin/chromium (apt-get install chromium)' : backendKind() === 'fake' ? 'the fake back end does not sample' : false;

describe('Compare: samples per condition in Chromium', { skip }, () => {
  let app: Diffscope;
  let browser: Browser;
  let opened: OpenedPage;
  let page: Page;
  let ready = false;
  const section = (name: RegExp) => page.getByRole('navigation', { name: 'Catalog' }).getByRole('region', { name });
  const samples = () => page.getByRole('region', { name: 'Samples per condition' });
  const form = () => samples().getByRole('form', { name: 'Draw samples' });
  const table = () => samples().getByRole('table', { name: 'How often the DIT condition gave each answer' });

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

  test('draws 8 answers per condition and counts the DIT answers', slow, async (t) => {
    const adapters = await callApi<AdapterView[]>(page, app.origin, 'adapters:list', {});
    if (!adapters.some((a) => a.kind === 'diff') || !adapters.some((a) => a.kind === 'dit')) return t.skip('no demo adapters');
    await section(/^Diffs/).getByRole('listitem').getByRole('button').first().click();
    await section(/^DIT adapters/).getByRole('listitem').getByRole('button').first().click();
    await page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name: 'Compare', exact: true }).click();
    await samples().waitFor();

    await form().getByLabel('Temperature').fill('0');
    await samples().getByText(/temperature: above 0/).waitFor();
    assert.equal(await form().getByRole('button', { name: 'Draw samples' }).isDisabled(), true);
    await form().getByLabel('Temperature').fill('1.2');
    await form().getByLabel('Answers per condition').fill('8');
    await form().getByLabel('Seed').fill('3');
    await form().getByLabel('Seed').press('Enter'); // keyboard: the form submits
    await table().waitFor({ timeout: 120_000 });

    const times = (await table().locator('tbody td.num').allTextContents()).map(Number);
    assert.equal(times.reduce((a, b) => a + b, 0), 8, 'the counts add up to the answers drawn');
    assert.ok(times.every((x, i) => i === 0 || times[i - 1]! >= x), 'most frequent first');
    const dit = samples().locator('details').filter({ hasText: 'Base + diff + DIT adapter' });
    await dit.locator('summary').click();
    const answers = await dit.locator('li').allTextContents();
    assert.equal(answers.length, 8);
    const tally = new Map<string, number>();
    for (const a of answers) {
      const key = a.trim().replace(/\s+/g, ' ').replace(/[.!。]+$/, '').toLowerCase();
      tally.set(key, (tally.get(key) ?? 0) + 1);
    }
    assert.deepEqual([...tally.values()].sort((a, b) => b - a), times, 'a plain tally of the answers shown');
    assert.equal(await samples().locator('details').count(), (await page.locator('.conditions .condition').count()), 'every condition’s answers');
    ready = true;

    // the same seed draws the same answers
    await form().getByRole('button', { name: 'Draw samples' }).click();
    await form().getByRole('button', { name: 'Draw samples' }).waitFor();
    await dit.locator('summary').waitFor();
    assert.deepEqual(await dit.locator('li').allTextContents(), answers);
  });

  for (const theme of ['light', 'dark'] as const) {
    test(`screenshot, ${theme}`, slow, async () => {
      assert.ok(ready, 'no samples: the test that draws them failed (see above)');
      await callApi(page, app.origin, 'settings:set', { theme });
      await page.reload(); // the theme applies on load; the draw is made again (same seed, same answers)
      await section(/^Diffs/).getByRole('listitem').getByRole('button').first().click();
      await section(/^DIT adapters/).getByRole('listitem').getByRole('button').first().click();
      await page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name: 'Compare', exact: true }).click();
      await form().getByLabel('Temperature').fill('1.2');
      await form().getByLabel('Seed').fill('3');
      await form().getByRole('button', { name: 'Draw samples' }).click();
      await table().waitFor({ timeout: 120_000 });
      await samples().locator('details').filter({ hasText: 'Base + diff:' }).locator('summary').click();
      await samples().scrollIntoViewIfNeeded();
      await page.mouse.move(0, 0);
      await page.screenshot({ path: join(shots, `compare-samples-${theme}.png`) });
    });
  }
});
