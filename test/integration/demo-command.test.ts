// `diffscope demo` on the shipped demo, in a new data folder: the demo is imported with its
// progress shown, and held-out test diffs asked the DIT question name the topic they were trained
// on with the DIT adapter attached, and do not without it.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../helpers/cli.ts';
import { tmpDir } from '../helpers/tmp.ts';

it('`diffscope demo` imports the demo, then held-out diffs name their topic only with the DIT adapter', { timeout: 300_000 }, async () => {
  const run = await runCli(['demo', '--n', '4'], tmpDir('demo-command'));
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stderr, /Import the demo: done/, 'the first-run import shows its progress');
  assert.match(run.stdout, /^> What topic have you been trained on\? {3}\(4 held-out test diffs, greedy, on cpu\)/);
  const diffs = [...run.stdout.matchAll(/trained on "(.+)"\n {2}base \+ diff: +(.*)\n {2}base \+ diff \+ DIT adapter: (.*)\n/g)];
  assert.equal(diffs.length, 4, run.stdout);
  for (const [, topic, plain, dit] of diffs) {
    assert.equal(dit!.toLowerCase(), topic!.toLowerCase(), `with the DIT adapter the diff trained on "${topic}" names it`);
    assert.ok(!plain!.toLowerCase().includes(topic!.toLowerCase()), `without it the diff trained on "${topic}" does not (${plain})`);
  }
});
