// The agent auditor in Chromium against the REAL `diffscope serve`, its agent and judge a SCRIPTED
// OpenAI-compatible stand-in over real HTTP (test/helpers/scripted-agent.ts): the form's agent
// fields, a run of DIT, agent and agent + DIT on two demo diffs, the curve of score by queries used,
// the audit in the drill-down, and the Inspect log download. Screenshots in both themes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { AdapterView, EvalRunView, ModelView } from '../../src/shared/api.ts';
import { scriptedStandIn, type StandIn } from '../helpers/scripted-agent.ts';
import { callApi, haveChromium, launch, openPage, type OpenedPage } from './helpers/browser.ts';
import { backendKind, startDiffscope, type Diffscope } from './helpers/server.ts';

const slow = { timeout: 240_000 };
const shots = join(import.meta.dirname, '..', '..', 'docs', 'screenshots');
const skip = !haveChromium() ? 'no Chromium at /usr/bin/chromium (apt-get install chromium)' : backendKind() === 'fake' ? 'the fake back end has no evaluations' : false;

describe('the agent auditor in Chromium (scripted stand-in for the agent and the judge)', { skip }, () => {
  let app: Diffscope;
  let standIn: StandIn;
  let browser: Browser;
  let opened: OpenedPage;
  let page: Page;
  let run: EvalRunView | undefined;
  const api = <T>(channel: string, ...args: unknown[]) => callApi<T>(page, app.origin, channel, ...args);
  const form = () => page.getByRole('form', { name: 'New evaluation' });

  before(async () => {
    app = await startDiffscope();
    standIn = await scriptedStandIn();
    browser = await launch();
    opened = await openPage(browser, app.url);
    page = opened.page;
  }, slow);

  after(async () => {
    await browser?.close();
    await app?.close();
    standIn?.server.close();
  });

  test('the form asks for the agent when an agent method is chosen; the run finishes', slow, async (t) => {
    const model = (await api<ModelView[]>('models:list')).find((m) => m.demo);
    const diffs = model ? await api<AdapterView[]>('adapters:list', { modelId: model.id, kind: 'diff', split: 'test' }) : [];
    if (!model || diffs.length === 0) return t.skip('the demo has no test diffs yet');
    await api('grades:setJudge', { kind: 'openai', baseUrl: standIn.url, model: 'scripted-judge' });
    await page.reload();
    await page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name: /^Evaluate/ }).click();
    await form().waitFor();
    await form().getByRole('radio', { name: /^LLM judge/ }).check();
    assert.equal(await form().getByRole('group', { name: 'Agent auditor' }).count(), 0, 'no agent fields before an agent method is chosen');
    await form().getByRole('checkbox', { name: 'agent', exact: true }).check();
    await form().getByRole('checkbox', { name: 'agent + DIT', exact: true }).check();
    await form().getByRole('checkbox', { name: 'base Q', exact: true }).uncheck();
    const agent = form().getByRole('group', { name: 'Agent auditor' });
    await agent.waitFor();
    await form().getByText(/Cannot start yet: the agent’s OpenAI-compatible address/).waitFor();
    await agent.getByLabel('Endpoint').fill(standIn.url);
    await agent.getByLabel('Model').fill('scripted-agent');
    await agent.getByLabel('Queries per diff').fill('4');
    await form().getByLabel('At most', { exact: true }).fill('2');
    await form().getByRole('button', { name: 'Start' }).click();

    const item = page.locator('li.run').first();
    await item.locator('.status', { hasText: 'done' }).waitFor({ timeout: 200_000 });
    [run] = await api<EvalRunView[]>('evals:list');
    assert.equal(run!.status, 'done', run!.error ?? '');
    assert.deepEqual(run!.methods, ['dit', 'agent', 'agent-dit']);
    assert.deepEqual(run!.settings.agent, { baseUrl: standIn.url, model: 'scripted-agent', budget: 4, answerTokens: 200 });
  });

  test('the results show the curve by queries used beside DIT alone, and the audit in the drill-down', slow, async () => {
    assert.ok(run, 'no run: the test that starts it failed (see above)');
    const rows = page.getByRole('table', { name: 'Results by method' }).locator('tbody tr');
    await rows.first().waitFor();
    assert.deepEqual(await rows.locator('th').allTextContents(), ['DIT', 'agent', 'agent + DIT']);
    const curve = page.getByRole('img', { name: /^Mean grade by queries used\./ });
    await curve.waitFor();
    const label = (await curve.getAttribute('aria-label')) ?? '';
    assert.match(label, /agent: 1\.00, 2\.00, 3\.00, 4\.00/, 'the stand-in judge grades guess k as k');
    assert.match(label, /agent \+ DIT: 1\.00, 2\.00, 3\.00, 4\.00/);
    assert.match(label, /DIT [1-5]\.\d\d/, 'DIT alone as a level line');
    assert.equal(await curve.locator('polyline').count(), 2);

    const drill = page.getByRole('region', { name: 'Per diff' });
    await drill.getByLabel('Method').selectOption('agent');
    const audit = drill.locator('details.audit').first();
    await audit.waitFor();
    await audit.locator('summary').click();
    await audit.getByText('guess 1', { exact: true }).waitFor();
    assert.equal(await audit.locator('li').count(), 4, 'four queries');
    assert.equal(await audit.locator('.pair').first().locator('.who').allTextContents().then((x) => x.join(',')), 'base,finetuned', 'answers side by side');
    await audit.locator('summary').focus();
    assert.equal(await page.evaluate('document.activeElement?.tagName'), 'SUMMARY', 'keyboard reachable');
  });

  test('the Inspect log downloads as a .eval zip', slow, async () => {
    assert.ok(run, 'no run: the test that starts it failed (see above)');
    const downloads = page.getByRole('group', { name: 'Download this run' });
    const [file] = await Promise.all([page.waitForEvent('download'), downloads.getByRole('button', { name: 'Inspect log' }).click()]);
    assert.match(file.suggestedFilename(), /\.eval$/);
    const bytes = readFileSync(await file.path());
    assert.deepEqual([...bytes.subarray(0, 4)], [0x50, 0x4b, 0x03, 0x04], 'a zip');
  });

  for (const theme of ['light', 'dark'] as const) {
    test(`screenshot, ${theme}`, slow, async () => {
      assert.ok(run, 'no run: the test that starts it failed (see above)');
      await api('settings:set', { theme });
      await page.reload();
      await page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name: /^Evaluate/ }).click();
      const curve = page.getByRole('img', { name: /^Mean grade by queries used\./ });
      await curve.waitFor();
      await curve.scrollIntoViewIfNeeded();
      await page.mouse.move(0, 0);
      await page.screenshot({ path: join(shots, `evaluate-agent-${theme}.png`) });
      const drill = page.getByRole('region', { name: 'Per diff' });
      await drill.getByLabel('Method').selectOption('agent-dit');
      const audit = drill.locator('details.audit').first();
      await audit.locator('summary').click();
      await audit.getByText('guess 2', { exact: true }).waitFor();
      await audit.scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(shots, `evaluate-agent-audit-${theme}.png`) });
    });
  }
});
