// The paper's settings on the embedded demo (issue 15) as a person sees them, in Chromium against
// the REAL `diffscope serve` (a fresh data folder): Evaluate > "Show the demo's settings" says none
// is measured yet, "Evaluate every setting" runs them as one job, and the report fills with one
// table per setting, the numbers the back end measured beside the paper's; "Open run" shows the run
// behind a table, and the report is still there after a reload.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import type { DemoReportView } from '../../src/shared/api.ts';
import { callApi, haveChromium, launch, openPage, type OpenedPage } from './helpers/browser.ts';
import { backendKind, demoKind, startDiffscope, type Diffscope } from './helpers/server.ts';

const slow = { timeout: 600_000 };
const skip = !haveChromium() ? 'no Chromium at /usr/bin/chromium (apt-get install chromium)' : backendKind() === 'fake' ? 'the fake back end has no evaluations' : false;

/** As the report formats them: a mean with two decimals, a share in whole percent. */
const two = (x: number | null) => (x === null ? '–' : x.toFixed(2));
const pct = (x: number | null) => (x === null ? '–' : `${Math.round(x * 100)}%`);

describe("The paper's settings on the demo, in Chromium", { skip }, () => {
  let app: Diffscope;
  let browser: Browser;
  let opened: OpenedPage;
  let page: Page;
  let report: DemoReportView;
  const report_ = () => page.getByRole('region', { name: 'The paper’s settings on the demo' });
  const card = (name: string) => report_().locator(`[data-setting="${name}"]`);
  const showDemo = async () => {
    await page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name: /^Evaluate/ }).click();
    await page.getByRole('button', { name: 'Show the demo’s settings' }).click();
    await report_().waitFor();
  };

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

  test('before any evaluation the report says so and offers to run every setting', slow, async () => {
    await showDemo();
    await report_().getByText(/^Not evaluated yet/).waitFor();
    assert.equal(await report_().getByRole('table').count(), 0);
  });

  test('"Evaluate every setting" runs them as one job and fills a table per setting, the paper beside', slow, async () => {
    const button = report_().getByRole('button', { name: 'Evaluate every setting' });
    await button.click();
    if (demoKind() === 'embedded') {
      // The embedded demo's settings take a while: the button says it is busy, the job which setting runs.
      await report_().getByRole('button', { name: 'Evaluating…' }).waitFor();
      assert.equal(await report_().getByRole('button', { name: 'Evaluating…' }).isDisabled(), true);
      await report_().getByText(/· setting \d+ of \d+$/).waitFor({ timeout: 120_000 });
    }
    await report_().getByRole('button', { name: 'Evaluate every setting' }).waitFor({ timeout: 560_000 });
    report = await callApi<DemoReportView>(page, app.origin, 'evals:demoReport');
    assert.equal(report.running, false);
    assert.equal(report.error, null, 'every setting ran');

    const names = report.settings.map((s) => s.name);
    assert.equal(names[0], 'hidden-topic');
    if (demoKind() === 'embedded') {
      for (const n of ['news-summary', 'full-finetune', 'topic-adapter-on-news', 'news-adapter-on-topic']) assert.ok(names.includes(n), `the report has ${n}`);
      assert.ok(names.filter((n) => n.startsWith('rank-generalization/')).length >= 2, 'ranks');
    }

    // One table per setting the demo ships: the ranks in one, the cross-setting checks in one.
    for (const s of report.settings.filter((x) => !x.name.startsWith('rank-') && !x.name.includes('-on-'))) {
      const table = card(s.name).getByRole('table', { name: new RegExp(`^${s.title}`) });
      await table.waitFor();
      for (const m of s.methods) {
        const row = table.getByRole('row').filter({ has: page.getByRole('rowheader', { name: m.title, exact: true }) });
        const cells = await row.getByRole('cell').allTextContents();
        if (m.skipped) {
          assert.equal(cells[0], `not run: ${m.skipped}`);
          assert.match(m.skipped, /needs an LLM judge/);
        } else {
          assert.deepEqual(cells.slice(0, 2), [pct(m.accuracy), two(m.meanScore)], `${s.name} ${m.method}`);
        }
        assert.equal(cells.at(-1), two(m.paper), `${s.name} ${m.method}: the paper's mean`);
      }
      if (s.paper) await card(s.name).getByText(`Paper: ${s.paper}`).waitFor();
    }
    if (demoKind() === 'embedded') {
      const news = card('news-summary');
      await news.getByRole('row', { name: /^generated story not run: needs an LLM judge/ }).waitFor();
      await news.getByRole('row', { name: /^DIT .* 4\.22$/ }).waitFor();
      const ranks = report.settings.filter((s) => s.name.startsWith('rank-generalization/'));
      const rankRows = card('rank-generalization').getByRole('row');
      assert.equal(await rankRows.count(), 1 + ranks.length, 'a row per rank');
      for (const s of ranks) {
        const dit = s.methods.find((m) => m.method === 'dit')!;
        const rank = /rank-(\d+)$/.exec(s.name)![1]!;
        const row = card('rank-generalization').getByRole('row').filter({ has: page.getByRole('rowheader', { name: rank, exact: true }) });
        const cells = await row.getByRole('cell').allTextContents();
        assert.deepEqual(cells.slice(0, 3), [String(s.n), pct(dit.accuracy), two(dit.meanScore)]);
      }
      assert.equal(await card('cross').getByRole('row').count(), 3, 'two cross-setting checks');
    }
  });

  test('"Open run" shows the run behind a table; the report is still there after a reload', slow, async () => {
    const hidden = report.settings[0]!;
    await card('hidden-topic').getByRole('button', { name: `Open run ${hidden.runId}` }).click();
    await page.getByRole('heading', { name: new RegExp(`^Run ${hidden.runId}`) }).waitFor();
    await page.getByRole('table', { name: 'Results by method' }).waitFor();
    await page.reload();
    await showDemo();
    await card('hidden-topic').getByRole('table').waitFor();
    assert.equal(await report_().getByText(/^Not evaluated yet/).count(), 0);
  });

  test('nothing was blocked by the Content-Security-Policy and no script failed', () => {
    assert.deepEqual(opened.problems, []);
  });
});
