// The shipped demo's README reports what `npx diffscope eval --demo` measured on the committed
// files (issue 4). This runs the command on them again, in a fresh library folder, and checks the
// README's table still holds within a small tolerance, and that the demo still shows the paper's
// gap: DIT names unseen test topics, the base question does not.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.ts';
import { tmpDir } from '../helpers/tmp.ts';

const DEMO = join(import.meta.dirname, '..', '..', 'resources', 'demo');
const ROWS = { base: 'base question', trigger: 'base question + trigger', dit: 'DIT' } as const;
type Method = keyof typeof ROWS;

interface Score {
  accuracy: number;
  meanScore: number;
}
interface Setting {
  n: number;
  methods: Record<string, Score | { skipped: string }>;
}
interface Measured {
  n: number;
  methods: Record<Method, Score>;
  settings?: Record<string, Setting> & { 'rank-generalization'?: { byRank: Record<string, Setting> } };
}

/** The README's per-setting tables (issue 15): DIT mean score per setting name, when it has them. */
function readmeSettings(text: string): Record<string, number> | null {
  const section = text.split(/^## /m).find((s) => s.startsWith("The paper's other settings"));
  if (!section) return null;
  const out: Record<string, number> = {};
  const news = /### News summaries[\s\S]*?^\| DIT \| [\d.]+% \| ([\d.]+) \|$/m.exec(section);
  if (news) out['news-summary'] = Number(news[1]);
  for (const m of section.matchAll(/^\| (\d+) \| \d+ \| [\d.]+% \| ([\d.]+) \| [\d.]+ \|$/gm)) out[`rank-${m[1]}`] = Number(m[2]);
  const full = /### Full finetunes[\s\S]*?^\| DIT \| [\d.]+% \| ([\d.]+) \|$/m.exec(section);
  if (full) out['full-finetune'] = Number(full[1]);
  const topicOnNews = /^\| topic DIT adapter on news diffs \| \d+ \| [\d.]+% \| ([\d.]+) \|$/m.exec(section);
  if (topicOnNews) out['topic-adapter-on-news'] = Number(topicOnNews[1]);
  const newsOnTopic = /^\| news DIT adapter on topic diffs \| \d+ \| [\d.]+% \| ([\d.]+) \|$/m.exec(section);
  if (newsOnTopic) out['news-adapter-on-topic'] = Number(newsOnTopic[1]);
  return out;
}

/** The same DIT mean scores from `eval --demo --json`'s settings. */
function measuredSettings(now: Measured): Record<string, number> {
  const st = now.settings ?? {};
  const dit = (s: Setting | undefined) => (s?.methods.dit as Score | undefined)?.meanScore ?? NaN;
  const out: Record<string, number> = {};
  for (const k of ['news-summary', 'full-finetune', 'topic-adapter-on-news', 'news-adapter-on-topic']) if (st[k]) out[k] = dit(st[k]);
  for (const [r, s] of Object.entries(st['rank-generalization']?.byRank ?? {})) out[`rank-${r}`] = dit(s);
  return out;
}

/** The "Measured by the app" section of the README: n and one table row per method. */
function readmeNumbers(text: string): Measured {
  const section = text.split(/^## /m).find((s) => s.startsWith('Measured by the app'));
  assert.ok(section, 'the README has a "Measured by the app" section');
  const n = /n = (\d+)/.exec(section)?.[1];
  assert.ok(n, 'the section states n');
  const methods = {} as Measured['methods'];
  for (const [key, name] of Object.entries(ROWS) as [Method, string][]) {
    const esc = name.replace(/[+]/g, '\\+');
    const row = new RegExp(`^\\| ${esc} \\| ([\\d.]+)% \\| ([\\d.]+) \\|$`, 'm').exec(section);
    assert.ok(row, `the README's table has a row for ${name}`);
    methods[key] = { accuracy: Number(row[1]) / 100, meanScore: Number(row[2]) };
  }
  return { n: Number(n), methods };
}

it('the demo README numbers are what `diffscope eval --demo` measures on the committed files', { timeout: 1_200_000 }, async () => {
  assert.ok(existsSync(join(DEMO, 'hidden-topic', 'dit-adapter.pt')), `${DEMO} holds the trained demo (make -C trainer demo)`);
  const readme = readmeNumbers(readFileSync(join(DEMO, 'README.md'), 'utf8'));

  const run = await runCli(['eval', '--demo', '--json'], tmpDir('demo-readme'));
  assert.equal(run.code, 0, run.stderr);
  const now = JSON.parse(run.stdout) as Measured;

  assert.equal(now.n, readme.n, 'the same number of test diffs');
  for (const m of Object.keys(ROWS) as Method[]) {
    const [a, b] = [now.methods[m], readme.methods[m]];
    // greedy decoding is deterministic; the tolerance covers float differences between machines
    // (an answer or two flipping) and the README's rounding
    assert.ok(Math.abs(a.accuracy - b.accuracy) <= 2 / now.n + 0.001, `${m}: accuracy ${a.accuracy} vs README ${b.accuracy}`);
    assert.ok(Math.abs(a.meanScore - b.meanScore) <= 0.1, `${m}: mean score ${a.meanScore} vs README ${b.meanScore}`);
  }
  // issue 4's targets, at small scale: the paper's gap between DIT and the base question
  assert.ok(now.n >= 50, 'at least 50 held-out test diffs');
  assert.ok(now.methods.dit.accuracy >= 0.8, `DIT names the topic exactly in >= 80% (${now.methods.dit.accuracy})`);
  assert.ok(now.methods.dit.meanScore >= 4.0, `DIT mean score >= 4.0 (${now.methods.dit.meanScore})`);
  assert.ok(now.methods.base.meanScore <= 1.5, `base question mean score <= 1.5 (${now.methods.base.meanScore})`);
  // issue 15: the paper's other settings, where the demo ships them and the README reports them
  const settings = readmeSettings(readFileSync(join(DEMO, 'README.md'), 'utf8'));
  if (settings) {
    const measured = measuredSettings(now);
    assert.deepEqual(Object.keys(measured).sort(), Object.keys(settings).sort(), 'the same settings as the README');
    for (const [k, v] of Object.entries(settings)) assert.ok(Math.abs(measured[k] - v) <= 0.1, `${k}: DIT mean score ${measured[k]} vs README ${v}`);
    const news = now.settings!['news-summary'];
    assert.ok(measured['news-summary'] >= 4.0, `news: DIT mean score >= 4.0 (${measured['news-summary']})`);
    assert.ok((news.methods.base as Score).meanScore <= 1.5, 'news: base question mean score <= 1.5');
    for (const [r, s] of Object.entries(now.settings!['rank-generalization']?.byRank ?? {})) {
      assert.ok((s.methods.dit as Score).accuracy >= 0.8, `rank ${r}: DIT exact >= 80% (${(s.methods.dit as Score).accuracy})`);
    }
    assert.ok(measured['topic-adapter-on-news'] <= 1.5, 'the topic DIT adapter does not read news diffs');
    assert.ok(measured['news-adapter-on-topic'] <= 1.5, 'the news DIT adapter does not read topic diffs');
  }
});
