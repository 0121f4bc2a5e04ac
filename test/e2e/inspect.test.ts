// The Inspect view in Chromium against the real `diffscope serve` with the demo (issue 14, item 2):
// a test diff's layer x module heatmap, the spectrum of its largest modules, its nearest diffs
// with their labels (the same as the API's) and the experiment's map; reached by keyboard.
// Screenshots go to docs/screenshots with DIFFSCOPE_SCREENSHOTS=1 (to a temporary folder otherwise).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { AdapterView, SimilarAdapters } from '../../src/shared/api.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { callApi, haveChromium, launch, openPage, type OpenedPage } from './helpers/browser.ts';
import { startDiffscope, type Diffscope } from './helpers/server.ts';

const slow = { timeout: 180_000 };
const wanted = process.env.DIFFSCOPE_SCREENSHOTS;
const outDir = wanted === '1' ? join(import.meta.dirname, '..', '..', 'docs', 'screenshots') : (wanted ?? tmpDir('inspect-shots'));

describe('the Inspect view in Chromium', { skip: haveChromium() ? false : 'no Chromium' }, () => {
  let app: Diffscope;
  let browser: Browser;
  let opened: OpenedPage;
  let page: Page;
  const api = <T>(channel: string, ...args: unknown[]) => callApi<T>(page, app.origin, channel, ...args);

  before(async () => {
    mkdirSync(outDir, { recursive: true });
    app = await startDiffscope();
    browser = await launch();
    opened = await openPage(browser, app.url);
    page = opened.page;
  }, slow);

  after(async () => {
    await browser?.close();
    await app?.close();
  });

  test("a test diff's heatmap, spectrum, nearest diffs with labels, and the map", slow, async (t) => {
    const adapters = await api<AdapterView[]>('adapters:list', {});
    const diff = adapters.find((a) => a.kind === 'diff' && a.split === 'test');
    if (!diff) return t.skip('the demo has no test diff');
    // by keyboard: the Views navigation's Inspect tab
    const tab = page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name: 'Inspect', exact: true });
    await tab.focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Inspect a diff' }).waitFor();
    await page.getByRole('combobox', { name: 'Adapter', exact: true }).selectOption(diff.id);
    const heat = page.getByRole('img', { name: /Heatmap of each module's size/ });
    await heat.locator('svg').waitFor({ timeout: 60_000 });
    await page.getByRole('img', { name: /Singular values/ }).locator('svg').waitFor();
    const nearest = page.getByRole('list', { name: 'Nearest diffs' }).getByRole('listitem');
    await nearest.first().waitFor({ timeout: 60_000 });
    const want = await api<SimilarAdapters>('adapters:similar', diff.id, 10);
    const shown = await nearest.allInnerTexts();
    assert.equal(shown.length, want.nearest.length);
    want.nearest.forEach((n, i) => {
      assert.ok(shown[i].includes(n.id) && (n.label === null || shown[i].includes(n.label)), `${shown[i]} shows ${n.id} ${n.label}`);
    });
    const map = page.getByRole('img', { name: /Map of every diff/ });
    await map.locator('svg').waitFor({ timeout: 120_000 });
    // one mark per diff at least (ECharts draws each scatter point as an SVG path)
    assert.ok((await map.locator('svg path').count()) >= 360 || adapters.filter((a) => a.kind !== 'dit').length < 360);
    // the heatmap is drawn in SVG: one cell per module of the diff
    assert.ok((await heat.locator('svg path').count()) >= 28 || adapters.length < 360);
    // each plot saves as the SVG it is drawn with
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Save heatmap as SVG' }).click()]);
    const saved = join(tmpDir('inspect-svg'), download.suggestedFilename());
    await download.saveAs(saved);
    const svg = readFileSync(saved, 'utf8');
    assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.ok(svg.includes('q_proj') && svg.includes('down_proj'), 'the saved heatmap names the modules');
    await page.mouse.move(0, 0);
    await page.screenshot({ path: join(outDir, 'inspect-light.png') });
    await api('settings:set', { theme: 'dark' });
    await page.locator('html').evaluate((el) => el.setAttribute('data-theme', 'dark'));
    await page.screenshot({ path: join(outDir, 'inspect-dark.png') });
    await api('settings:set', { theme: 'light' });
  });
});
