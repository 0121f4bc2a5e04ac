// The token view and amplification in Chromium against the real `diffscope serve` (issue 14,
// items 1 and 3): a reply's tokens shaded by Δ log-probability and KL with a legend and each
// token's alternatives, reached by keyboard; the diff scaled by 2 on layers 0-1, MLP only, recorded
// with the reply; Compare's token view over every column. Screenshots go to docs/screenshots with
// DIFFSCOPE_SCREENSHOTS=1 (to a temporary folder otherwise).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { AdapterView, ConversationDetail, ConversationView } from '../../src/shared/api.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { callApi, haveChromium, launch, openPage, type OpenedPage } from './helpers/browser.ts';
import { startDiffscope, type Diffscope } from './helpers/server.ts';

const slow = { timeout: 180_000 };
const wanted = process.env.DIFFSCOPE_SCREENSHOTS;
const outDir = wanted === '1' ? join(import.meta.dirname, '..', '..', 'docs', 'screenshots') : (wanted ?? tmpDir('token-view-shots'));

describe('token view and amplification in Chromium', { skip: haveChromium() ? false : 'no Chromium' }, () => {
  let app: Diffscope;
  let browser: Browser;
  let opened: OpenedPage;
  let page: Page;
  const api = <T>(channel: string, ...args: unknown[]) => callApi<T>(page, app.origin, channel, ...args);
  const section = (name: RegExp) => page.getByRole('navigation', { name: 'Catalog' }).getByRole('region', { name });
  const replies = () => page.locator('article[aria-label="Answer"]');
  const graded = (scope = page.locator('main')) => scope.getByRole('group', { name: 'Grade' }).last().waitFor({ timeout: 60_000 });
  const shoot = async (name: string) => {
    await page.screenshot({ path: join(outDir, `${name}.png`) });
  };
  const setTheme = async (theme: 'light' | 'dark') => {
    // as the app applies the setting (data-theme on <html>), without a reload that would close the token view
    await api('settings:set', { theme });
    await page.locator('html').evaluate((el, t) => el.setAttribute('data-theme', t), theme);
  };

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

  test('a reply in the token view: shading, legend, alternatives, keyboard', slow, async (t) => {
    const adapters = await api<AdapterView[]>('adapters:list', {});
    if (!adapters.some((a) => a.kind !== 'dit') || !adapters.some((a) => a.kind === 'dit')) return t.skip('the demo has no diff and DIT adapter');
    await section(/^Diffs/).getByRole('listitem').getByRole('button').first().click();
    await section(/^DIT adapters/).getByRole('listitem').getByRole('button').first().click();
    await page.getByRole('button', { name: 'Hidden topic', exact: true }).click();
    await graded();
    const reply = replies().last();
    const toggle = reply.getByRole('button', { name: 'Token view' });
    assert.equal(await toggle.getAttribute('aria-pressed'), 'false');
    await toggle.click();
    assert.equal(await toggle.getAttribute('aria-pressed'), 'true');
    const tokens = reply.getByRole('group', { name: /^The answer: tokens shaded by Δ log-probability/ });
    await tokens.waitFor({ timeout: 60_000 });
    const count = await tokens.getByRole('button').count();
    assert.ok(count > 0, 'the answer has tokens');
    // the tokens join to the answer's text
    const text = await tokens.innerText();
    assert.ok(text.replace(/⏎/g, '').trim().length > 0);
    await reply.getByText(/Δ = log p\(This reply .*\) − log p\(Base model\), in nats/).waitFor();
    // the stack with a DIT adapter can be compared with itself less the DIT adapter
    await reply.getByLabel('Compare with').selectOption({ label: 'Without the DIT adapter' });
    await reply.getByText(/− log p\(Without the DIT adapter\)/).waitFor({ timeout: 60_000 });
    await reply.getByLabel('Compare with').selectOption({ label: 'Base model' });
    await reply.getByText(/− log p\(Base model\)/).waitFor({ timeout: 60_000 });

    // keyboard: Tab from the last control lands on the first token; arrows move; the detail follows
    await reply.getByLabel('Shade by').focus();
    await page.keyboard.press('Tab');
    assert.match((await page.locator(':focus').getAttribute('class')) ?? '', /\btok\b/, 'Tab reaches the tokens');
    const detail = reply.locator('.detail');
    await detail.getByText(/^Most likely here under This reply/).waitFor();
    const first = await detail.locator('p').first().innerText();
    if (count > 1) {
      await page.keyboard.press('ArrowRight');
      assert.notEqual(await detail.locator('p').first().innerText(), first, 'ArrowRight shows the next token');
      assert.equal(await tokens.getByRole('button').nth(1).getAttribute('tabindex'), '0', 'the focused token is the tab stop');
    }
    assert.equal(await detail.locator('ol').first().locator('li').count(), 5, 'five alternatives under the reply’s stack');
    await setTheme('light');
    await shoot('token-view-light');

    await reply.getByLabel('Shade by').selectOption({ label: 'KL divergence' });
    await reply.getByText(/KL\(This reply .* ‖ Base model\) of the next-token distributions/).waitFor();
    await reply.locator('.tok').first().hover();
    await setTheme('dark');
    await shoot('token-view-dark');
    await setTheme('light');
  });

  test('amplification: the diff at ×2 on layers 0-1, MLP only, recorded with the reply', slow, async (t) => {
    if ((await replies().count()) === 0) return t.skip('no reply to regenerate');
    await page.getByLabel('Diff multiplier, exact value').fill('2');
    await page.getByLabel('Diff multiplier, exact value').press('Enter');
    assert.equal(await page.getByLabel('Diff scale').inputValue(), '2');
    const where = page.getByRole('button', { name: 'All layers' }).first();
    await where.click();
    const panel = page.getByRole('form', { name: 'Diff scale: where it acts' });
    await panel.getByLabel('Layers').fill('0-99');
    await panel.getByRole('button', { name: 'Apply' }).click();
    await panel.getByRole('alert').getByText(/layer \d+ is outside the model's layers 0-\d+/).waitFor();
    await panel.getByLabel('Layers').fill('0-1');
    await panel.getByLabel('Modules').selectOption({ label: 'MLP (gate up down)' });
    await shoot('amplification-light');
    await panel.getByRole('button', { name: 'Apply' }).click();
    await page.getByRole('button', { name: '@0-1,mlp' }).waitFor();

    const before = await replies().count();
    await replies().last().getByRole('button', { name: 'Regenerate' }).click();
    await page.locator('article[aria-label="Answer"] .meta').filter({ hasText: 'diff ×2.00 @0-1,mlp' }).first().waitFor({ timeout: 60_000 });
    await graded();
    const conversations = await api<ConversationView[]>('conversations:list');
    const detail = await api<ConversationDetail>('conversations:get', conversations[0]!.id);
    const last = detail.messages.filter((m) => m.role === 'assistant').at(-1)!;
    const diff = last.stack!.find((s) => s.role === 'diff')!;
    assert.equal(diff.scale, 2);
    assert.deepEqual(diff.layers, [0, 1]);
    assert.deepEqual(diff.modules, ['gate', 'up', 'down']);
    assert.ok(before >= 1);
    const md = await api<{ content: string }>('export:conversation', detail.conversation.id, 'md');
    assert.match(md.content, /diff \S+ x2@0-1,mlp/);
  });

  test("Compare's token view: every column shaded by the same two conditions", slow, async () => {
    await page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name: 'Compare', exact: true }).click();
    await page.getByRole('button', { name: 'Ask all' }).click();
    const columns = page.locator('.columns > section');
    const n = await page.locator('.conditions .condition').count();
    for (let i = 0; i < n; i++) await graded(columns.nth(i));
    const bar = page.getByRole('group', { name: 'Token view' });
    await bar.getByRole('button', { name: 'Token view' }).click();
    await bar.getByLabel('Shade').selectOption({ label: 'Base + diff' });
    await bar.getByLabel('against').selectOption({ label: 'Base model' });
    for (let i = 0; i < n; i++) {
      await columns.nth(i).getByRole('group', { name: /^This column's answer: tokens shaded by Δ log-probability/ }).waitFor({ timeout: 60_000 });
    }
    await columns.first().locator('.tok').first().hover();
    await shoot('compare-token-view-light');
    // KL between a condition and itself is 0 everywhere: the legend's scale stays at its floor
    await bar.getByLabel('against').selectOption({ label: 'Base + diff' });
    await bar.getByLabel('by').selectOption({ label: 'KL divergence' });
    await columns.first().getByText(/KL\(Base \+ diff ‖ Base \+ diff \(again\)\)/).waitFor({ timeout: 60_000 });
    const kls = await columns.first().locator('.tok').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')));
    assert.ok(kls.every((l) => /KL 0\.000$/.test(l ?? '')), `KL of one stack against itself: ${kls.slice(0, 3).join('; ')}`);
  });
});
