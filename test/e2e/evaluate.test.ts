// Grading and batch evaluation as a person uses them, in Chromium against the REAL `diffscope
// serve` (a fresh data folder; the demo, or the fixture stand-in of helpers/server.ts): a run of the
// demo's test split by DIT and the base question with the lexical score, its progress, the paper's
// table and charts, the drill-down with a person's grade, the CSV download, and the Judge and
// Lexical buttons on a chat reply. One server and one page for the whole file, in order.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Browser, Locator, Page } from 'playwright-core';
import type { AdapterView, AgreementView, EvalItemView, EvalRunView, ModelView } from '../../src/shared/api.ts';
import { callApi, haveChromium, launch, openPage, type OpenedPage } from './helpers/browser.ts';
import { backendKind, startDiffscope, type Diffscope } from './helpers/server.ts';

const slow = { timeout: 180_000 };
/** Drill-down rows per page (ITEM_PAGE of the renderer's evals state). */
const ITEM_PAGE = 20;

/** RFC 4180: quoted cells may hold commas, quotes ("") and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(cell), (cell = '');
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(cell), rows.push(row), (row = []), (cell = '');
    } else cell += c;
  }
  if (cell || row.length) row.push(cell), rows.push(row);
  return rows;
}

/** Until the locator matches n elements (playwright-core has no expect().toHaveCount). */
async function untilCount(locator: Locator, n: number, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while ((await locator.count()) !== n) {
    if (Date.now() > end) throw new Error(`expected ${n} elements, found ${await locator.count()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const skip = !haveChromium() ? 'no Chromium at /usr/bin/chromium (apt-get install chromium)' : backendKind() === 'fake' ? 'the fake back end has no evaluations' : false;

describe('Evaluate and grade in Chromium', { skip }, () => {
  let app: Diffscope;
  let browser: Browser;
  let opened: OpenedPage;
  let page: Page;
  let model: ModelView;
  let testDiffs: AdapterView[];
  let run: EvalRunView;
  const api = <T>(channel: string, ...args: unknown[]) => callApi<T>(page, app.origin, channel, ...args);

  const showView = (name: string) => page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name: new RegExp(`^${name}`) }).click();
  const section = (name: RegExp) => page.getByRole('navigation', { name: 'Catalog' }).getByRole('region', { name });
  const form = () => page.getByRole('form', { name: 'New evaluation' });
  const results = () => page.getByRole('table', { name: 'Results by method' });
  const drillDown = () => page.getByRole('region', { name: 'Per diff' });

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

  test('the form offers the demo, counts its test diffs, and says why 20 questions cannot run', slow, async (t) => {
    const models = await api<ModelView[]>('models:list');
    model = models.find((m) => m.demo)!;
    assert.ok(model, 'the first run imported the demo');
    testDiffs = await api<AdapterView[]>('adapters:list', { modelId: model.id, kind: 'diff', split: 'test' });
    const dits = await api<AdapterView[]>('adapters:list', { modelId: model.id, kind: 'dit' });
    if (testDiffs.length === 0 || dits.length === 0) return t.skip('the demo has no test diffs and DIT adapter yet');

    await showView('Evaluate');
    await form().waitFor();
    assert.equal(await form().getByLabel('Base model', { exact: true }).inputValue(), model.id);
    assert.equal(await form().getByLabel('DIT adapter', { exact: true }).inputValue(), dits[0]!.id);
    assert.equal(await form().getByLabel('Split', { exact: true }).inputValue(), 'test');
    await page.getByRole('status', { name: 'Diffs chosen' }).getByText(`${testDiffs.length} diff`).waitFor();

    // Only the lexical score is configured: 20 questions is shown, disabled, with the reason.
    for (const name of ['20Q', '20Q + trigger']) {
      const box = form().getByRole('checkbox', { name, exact: true });
      assert.equal(await box.isDisabled(), true, `${name} is disabled`);
    }
    await form().getByText(/needs an LLM judge to guess the topic/).first().waitFor();
    assert.equal(await form().getByRole('radio', { name: /^LLM judge/ }).isDisabled(), true);
    assert.equal(await form().getByRole('checkbox', { name: 'DIT', exact: true }).isChecked(), true);
    assert.equal(await form().getByRole('checkbox', { name: 'base Q', exact: true }).isChecked(), true);
  });

  test('a run of the test split by DIT and base Q at batch 4 shows its progress, then is done', slow, async (t) => {
    if (!testDiffs?.length) return t.skip('no test diffs');
    const total = 2 * testDiffs.length;
    await form().getByRole('radio', { name: 'Lexical score (offline)' }).check();
    await form().getByLabel('Batch size', { exact: true }).fill('4');
    // Every progress line the run list shows on its way, seen from inside the page (a run of the
    // tiny demo can finish between two polls of a locator).
    await page.evaluate(`(() => {
      window.__progress = new Set();
      const record = () => document.querySelectorAll('.run .run-progress p').forEach((p) => window.__progress.add(p.textContent.trim()));
      new MutationObserver(record).observe(document.querySelector('main'), { subtree: true, childList: true, characterData: true });
    })()`);
    await form().getByRole('button', { name: 'Start' }).click();

    const item = page.locator('li.run').first();
    await item.getByText('Run 1 · base Q, DIT').waitFor();
    await item.locator('.status', { hasText: 'done' }).waitFor({ timeout: 150_000 });
    const seen = (await page.evaluate('[...window.__progress]')) as string[];
    assert.ok(
      seen.some((s) => new RegExp(`^\\d+ / ${total} items`).test(s)),
      `the progress showed done / ${total} (saw ${JSON.stringify(seen)})`,
    );
    assert.equal(await page.locator('.run .run-progress').count(), 0, 'a finished run shows no progress bar');
    [run] = await api<EvalRunView[]>('evals:list');
    assert.equal(run!.status, 'done');
    assert.deepEqual(run!.methods, ['base', 'dit']);
    assert.equal(run!.settings.batch, 4);
    assert.equal(run!.settings.judge, null);
    assert.equal(run!.progress.done, total);
  });

  test("the results: the paper's table with both methods, the bar chart and the histograms", slow, async () => {
    assert.ok(run, 'no run: the test that starts it failed (see above)');
    await results().waitFor();
    const rows = results().locator('tbody tr');
    assert.equal(await rows.count(), 2);
    assert.deepEqual(await rows.locator('th').allTextContents(), ['base Q', 'DIT']);
    for (let i = 0; i < 2; i++) {
      const cells = await rows.nth(i).locator('td').allTextContents();
      assert.equal(cells[0]!.trim(), String(testDiffs.length), 'n');
      assert.match(cells[1]!, /^[1-5]\.\d\d$/, 'a mean score');
      assert.match(cells[3]!, /^\d+%$/, 'exact-topic accuracy');
      assert.equal(cells[4], 'lexical');
    }
    const chart = page.getByRole('img', { name: /^Mean score per method: base Q [1-5]\.\d\d, DIT [1-5]\.\d\d$/ });
    await chart.waitFor();
    assert.equal(await chart.locator('rect').count(), 2, 'one bar per method');
    assert.equal(await page.getByRole('img', { name: /^(base Q|DIT): \d+ scored 1/ }).count(), 2, 'one histogram per method');
  });

  test('the drill-down shows each diff (its label hidden in blind mode) and takes a grade', slow, async () => {
    assert.ok(run, 'no run: the test that starts it failed (see above)');
    const rows = drillDown().locator('tbody tr');
    const pages = drillDown().locator('.pages');
    const total = 2 * testDiffs.length;
    // A page at a time (20 rows): the first page, then Next and Previous when there are more.
    await untilCount(rows, Math.min(ITEM_PAGE, total));
    assert.match((await pages.textContent()) ?? '', new RegExp(`^1–${Math.min(ITEM_PAGE, total)} of ${total}`));
    if (total > ITEM_PAGE) {
      const firstPageIds = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-item-id')));
      await pages.getByRole('button', { name: 'Next' }).click();
      await pages.getByText(new RegExp(`^${ITEM_PAGE + 1}–`)).waitFor();
      let nextIds: (string | null)[] = [];
      for (let i = 0; i < 100; i++) {
        nextIds = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-item-id')));
        if (nextIds.length > 0 && nextIds.every((id) => !firstPageIds.includes(id))) break;
        await page.waitForTimeout(50);
      }
      assert.ok(nextIds.length > 0 && nextIds.every((id) => !firstPageIds.includes(id)), 'the next page shows other items');
      await pages.getByRole('button', { name: 'Previous' }).click();
      await pages.getByText(/^1–/).waitFor();
    }
    const labelled = testDiffs.find((d) => d.label)!;
    const firstLine = labelled.label!.split('\n')[0]!;
    assert.ok((await drillDown().getByText(firstLine).count()) > 0, 'the label shows');

    await page.getByRole('button', { name: /^Blind mode/ }).click();
    await page.getByRole('button', { name: 'Blind mode on' }).waitFor();
    await drillDown().getByText(/^Diff \w+/).first().waitFor();
    assert.equal(await drillDown().getByText(firstLine).count(), 0, 'blind mode hides the label');
    await page.getByRole('button', { name: /^Blind mode/ }).click();
    await page.getByRole('button', { name: 'Blind mode off' }).waitFor();

    // Only one method: the filter asks the back end for that method's items.
    await drillDown().getByLabel('Method').selectOption('dit');
    await pages.getByText(new RegExp(` of ${testDiffs.length}`)).waitFor();
    await untilCount(rows, Math.min(ITEM_PAGE, testDiffs.length));
    // The page count follows the filter at once; the rows once the back end has answered.
    let methods = new Set<string>();
    for (let i = 0; i < 200; i++) {
      methods = new Set(await rows.locator('td.method').allTextContents());
      if (methods.size === 1 && methods.has('DIT')) break;
      await page.waitForTimeout(50);
    }
    assert.deepEqual(methods, new Set(['DIT']));

    const row = rows.first();
    const itemId = Number(await row.getAttribute('data-item-id'));
    assert.match((await row.locator('td.grades').textContent()) ?? '', /Lexical: [1-5]\/5/, "the run's grade, labelled lexical");
    await row.getByRole('group', { name: /^Your grade/ }).getByRole('radio', { name: /^4/ }).check();
    let human: EvalItemView['grades'][number] | undefined;
    for (let i = 0; i < 50 && !human; i++) {
      const items = await api<EvalItemView[]>('evals:items', run.id, { method: 'dit' });
      human = items.find((x) => x.id === itemId)?.grades.find((g) => g.method === 'human');
      if (!human) await page.waitForTimeout(100);
    }
    assert.equal(human?.score, 4, 'evals.gradeItem stored the grade');
    await page.reload();
    await showView('Evaluate');
    await drillDown().getByLabel('Method').selectOption('dit');
    await drillDown().locator(`tr[data-item-id="${itemId}"]`).waitFor();
    assert.equal(await drillDown().locator(`tr[data-item-id="${itemId}"]`).getByRole('radio', { name: /^4/ }).isChecked(), true, 'still there after a reload');
  });

  test('the CSV download has the documented header and one row per item', slow, async () => {
    assert.ok(run, 'no run: the test that starts it failed (see above)');
    const downloads = page.getByRole('group', { name: 'Download this run' });
    const [csv] = await Promise.all([page.waitForEvent('download'), downloads.getByRole('button', { name: 'CSV' }).click()]);
    assert.match(csv.suggestedFilename(), /\.csv$/);
    const rows = parseCsv(readFileSync(await csv.path(), 'utf8')).filter((r) => r.some((c) => c !== ''));
    assert.deepEqual(rows[0], [
      'item', 'adapter', 'label', 'trigger', 'split', 'method', 'status', 'prompt', 'answer', 'score', 'grader', 'exact',
      'lexical', 'judge', 'judge_model', 'judge_raw', 'human', 'human_note', 'error',
    ]);
    assert.equal(rows.length - 1, 2 * testDiffs.length, 'one row per item');
    assert.ok(rows.slice(1).some((r) => r[16] === '4'), "the person's grade is in the CSV");

    const [html] = await Promise.all([page.waitForEvent('download'), downloads.getByRole('button', { name: 'HTML report' }).click()]);
    assert.match(readFileSync(await html.path(), 'utf8'), /<svg/, 'the HTML report has its charts');
  });

  test('on a chat reply, Lexical and Judge give grades labelled with their method', slow, async (t) => {
    if (!testDiffs?.length) return t.skip('no diffs');
    // A catalog model as the local judge, set in Settings.
    await showView('Settings');
    await page.getByRole('radio', { name: 'A catalog model, on this machine' }).check();
    await page.getByLabel('Model', { exact: true }).selectOption(model.id);
    await page.getByRole('button', { name: 'Save judge' }).click();
    await page.getByText('Judge saved.').waitFor();
    assert.deepEqual((await api<{ judge: unknown }>('grades:getJudge')).judge, { kind: 'local', modelId: model.id });

    await showView('Chat');
    await section(/^Diffs/).getByRole('listitem').getByRole('button').first().click();
    await section(/^DIT adapters/).getByRole('listitem').getByRole('button').first().click();
    await page.getByRole('button', { name: 'Hidden topic', exact: true }).click();
    const reply = page.locator('article[aria-label="Answer"]').last();
    await reply.getByRole('group', { name: 'Grade' }).waitFor({ timeout: 60_000 });
    const graders = reply.getByRole('group', { name: 'Judge or lexical score' });
    const grades = reply.getByRole('list', { name: 'Grades' });

    await graders.getByRole('button', { name: 'Lexical' }).click();
    await grades.getByText(/^Lexical \(offline\): [1-5]\/5/).waitFor();
    await graders.getByRole('button', { name: 'Judge' }).click();
    await grades.getByText(new RegExp(`^Judge \\(${model.id}\\): [1-5]/5`)).waitFor({ timeout: 60_000 });
    await grades.getByText('The judge’s raw answer').click();
    await grades.locator('pre').waitFor();
    assert.equal(await grades.locator('li').count(), 2, 'one grade per method');

    // A person's grade beside the judge's: the agreement counts the pair.
    await reply.getByRole('radio', { name: /^3/ }).check();
    await reply.getByRole('button', { name: 'Save grade' }).click();
    await reply.getByText('Graded 3/5').waitFor();
    const agreement = await api<AgreementView>('grades:agreement', {});
    assert.equal(agreement.pairs, 1);
    await showView('Evaluate');
    await page.getByRole('region', { name: 'Person vs judge' }).getByText(/^1 pair:/).waitFor();

    // With the judge configured, 20 questions can be chosen once the LLM judge grades.
    await form().getByRole('radio', { name: /^LLM judge/ }).check();
    assert.equal(await form().getByRole('checkbox', { name: '20Q', exact: true }).isDisabled(), false);
  });

  test('Ctrl+E exports the open conversation as Markdown; HTML and JSONL download too', slow, async (t) => {
    if (!testDiffs?.length) return t.skip('no diffs');
    await showView('Chat');
    const [md] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Control+e')]);
    assert.match(md.suggestedFilename(), /\.md$/);
    assert.ok(readFileSync(await md.path(), 'utf8').includes('What topic have you been trained on?'));
    const exporter = page.getByRole('group', { name: 'Export this conversation' });
    const [html] = await Promise.all([page.waitForEvent('download'), exporter.getByRole('button', { name: 'HTML' }).click()]);
    assert.match(readFileSync(await html.path(), 'utf8'), /What topic have you been trained on\?/);
    const [jsonl] = await Promise.all([page.waitForEvent('download'), exporter.getByRole('button', { name: 'All as JSONL' }).click()]);
    const lines = readFileSync(await jsonl.path(), 'utf8').trim().split('\n');
    assert.ok(lines.length >= 1 && lines.every((l) => (JSON.parse(l) as { schema: string }).schema === 'diffscope.conversation/1'));
  });

  test('nothing was blocked by the Content-Security-Policy and no script failed', () => {
    assert.deepEqual(opened.problems, []);
  });
});
