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

interface Measured {
  n: number;
  methods: Record<Method, { accuracy: number; meanScore: number }>;
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

it('the demo README numbers are what `diffscope eval --demo` measures on the committed files', { timeout: 600_000 }, async () => {
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
});
