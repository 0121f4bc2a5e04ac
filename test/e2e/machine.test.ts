// What this machine can run, as a person sees it in Chromium against the real `diffscope serve`:
// Settings lists each execution provider with what is missing (CUDA here: no driver, no provider
// libraries, and the command that installs them) and each model with its precision and why; the
// import form offers auto, int8 and int4. A screenshot goes to DIFFSCOPE_E2E_SHOTS for looking at.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { DoctorReport, ModelView } from '../../src/shared/api.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { callApi, haveChromium, launch, openPage, type OpenedPage } from './helpers/browser.ts';
import { backendKind, startDiffscope, type Diffscope } from './helpers/server.ts';

const slow = { timeout: 180_000 };
const shots = process.env.DIFFSCOPE_E2E_SHOTS ?? tmpDir('e2e-shots');
const skip = !haveChromium() ? 'no Chromium at /usr/bin/chromium' : backendKind() === 'fake' ? 'needs the real back end (it tries the providers)' : false;

describe('Settings: this machine', { skip }, () => {
  let app: Diffscope;
  let browser: Browser;
  let opened: OpenedPage;
  let page: Page;
  const api = <T>(channel: string, ...args: unknown[]) => callApi<T>(page, app.origin, channel, ...args);
  const showView = (name: string) => page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name: new RegExp(`^${name}`) }).click();

  before(async () => {
    mkdirSync(shots, { recursive: true });
    app = await startDiffscope();
    browser = await launch();
    opened = await openPage(browser, app.url);
    page = opened.page;
  }, slow);
  after(async () => {
    await browser?.close();
    await app?.close();
  });

  test('lists the providers with what is missing, and each model with its precision and why', slow, async () => {
    await showView('Settings');
    const machine = page.getByRole('region', { name: 'This machine' });
    await machine.getByText('Execution providers').waitFor({ timeout: 60_000 });
    const report = await api<DoctorReport>('app:doctor');
    const cpu = machine.getByRole('listitem').filter({ hasText: /cpu/ }).first();
    assert.match(await cpu.innerText(), /^available/);
    if (!existsSync('/proc/driver/nvidia/version')) {
      const cuda = machine.getByRole('listitem').filter({ hasText: 'cuda' });
      const text = await cuda.innerText();
      assert.match(text, /not available/);
      assert.match(text, /NVIDIA driver/);
      assert.match(text, /Install: npm run install:cuda/);
    }
    const [model] = await api<ModelView[]>('models:list');
    const row = machine.getByRole('listitem').filter({ hasText: model.name }).filter({ hasText: 'of weights' });
    const text = await row.innerText();
    assert.match(text, new RegExp(`${model.precision} · `));
    assert.ok(text.includes(model.precisionReason), `the model's row says why it is ${model.precision}: ${text}`);
    assert.match(text, /Auto would choose now: fp32: /);
    assert.equal(report.models.length, 1);
    await machine.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(shots, 'settings-machine.png') });
  });

  test('the import form offers auto, int8 and int4', slow, async () => {
    await showView('Import');
    await page.getByRole('radio', { name: 'Base model' }).check();
    const precision = page.getByLabel('Precision');
    await precision.waitFor();
    const options = await precision.locator('option').allInnerTexts();
    assert.deepEqual(options.map((o) => o.split(':')[0].split(' ')[0]), ['auto', 'fp32', 'int8', 'int4', 'fp16']);
    assert.equal(await precision.inputValue(), 'auto');
  });
});
