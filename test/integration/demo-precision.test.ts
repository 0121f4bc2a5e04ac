// Quantised weights keep the demo's finding: `diffscope eval --demo --precision int8|int4` imports
// the trained demo at that precision and DIT still names the held-out topics. The bar:
// int8 as fp32 (60 of 60), int4 at least 58 of 60. Diffs and the DIT adapter stay in float on top.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../helpers/cli.ts';
import { tmpDir } from '../helpers/tmp.ts';

interface DemoJson {
  n: number;
  methods: Record<'base' | 'trigger' | 'dit', { accuracy: number; meanScore: number }>;
}

const home = tmpDir('demo-precision'); // one library: the fp32 demo is imported once, then each precision

for (const [precision, atLeast] of [['int8', 60], ['int4', 58]] as const) {
  it(`eval --demo --precision ${precision}: DIT names at least ${atLeast} of 60 held-out topics`, { timeout: 600_000 }, async () => {
    const run = await runCli(['eval', '--demo', '--precision', precision, '--json'], home);
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as DemoJson;
    assert.equal(result.n, 60);
    const named = Math.round(result.methods.dit.accuracy * result.n);
    assert.ok(named >= atLeast, `DIT named ${named} of 60 at ${precision}`);
    assert.ok(result.methods.base.meanScore < 2, `the base question still fails (mean ${result.methods.base.meanScore})`);
    const models = JSON.parse((await runCli(['models', '--json'], home)).stdout) as { precision: string }[];
    assert.ok(models.some((m) => m.precision === precision), `the demo was imported at ${precision}`);
  });
}
