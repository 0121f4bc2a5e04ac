// A crash half way: `diffscope eval` is killed with SIGKILL while it works, then resumed with
// `diffscope eval --resume`. Every item ends answered and graded exactly once, and nothing done
// before the kill is done again.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { openCatalog, catalogPath } from '../../src/main/catalog/index.ts';
import { createBackend } from '../../src/main/services/backend.ts';
import { evalSetup } from '../helpers/eval-backend.ts';
import { runCli } from '../helpers/cli.ts';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'diffscope.js');

it('resumes an evaluation killed half way, every item graded once', async () => {
  const s = await evalSetup({ diffs: 8 });
  await s.backend.close();
  const { home, modelId, dit, experiment } = s;
  const args = ['eval', '--model', modelId, '--dit', dit.id, '--experiment', experiment, '--methods', 'dit,base,trigger', '--batch', '2', '--json'];
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, DIFFSCOPE_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((r) => child.once('exit', r));

  const catalog = openCatalog(catalogPath(home), { recover: false });
  try {
    let before: { id: number; answer: string | null; finishedAt: string | null }[] = [];
    for (const started = Date.now(); ; ) {
      const run = catalog.evals.listRuns()[0];
      const done = run ? catalog.evals.items(run.id, { status: 'done' }) : [];
      if (done.length >= 6) {
        child.kill('SIGKILL');
        await exited;
        before = catalog.evals.items(run.id, { status: 'done' }).map(({ id, answer, finishedAt }) => ({ id, answer, finishedAt }));
        break;
      }
      assert.equal(child.exitCode, null, `eval ended before it could be killed:\n${stderr}`);
      assert.ok(Date.now() - started < 120_000, `no progress in 120 s:\n${stderr}`);
      await new Promise((r) => setTimeout(r, 40));
    }
    const runId = catalog.evals.listRuns()[0].id;
    assert.ok(before.length < 24, `killed half way (${before.length} of 24 done)`);
    assert.equal(catalog.evals.getRun(runId)!.status, 'running', 'a killed run is left as it was');
    assert.deepEqual(catalog.integrityCheck(), ['ok']);

    // the app (or `serve`) opening this catalog shows the run as interrupted, not as running
    const app = await createBackend({ home, shell: 'browser', engineHost: 'thread', firstRun: false });
    const shown = app.evals.get(runId);
    await app.close();
    assert.deepEqual([shown.status, shown.progress.active], ['paused', false]);
    assert.match(shown.error!, /interrupted/);

    const resumed = await runCli(['eval', '--resume', String(runId), '--json'], home);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, new RegExp(`eval run ${runId}: 24 items \\(base, trigger, dit\\), ${before.length} done already`));
    const results = JSON.parse(resumed.stdout) as { run: { status: string; progress: { done: number } } };
    assert.equal(results.run.status, 'done');
    assert.equal(results.run.progress.done, 24);

    const items = catalog.evals.items(runId);
    assert.equal(items.length, 24);
    assert.ok(items.every((i) => i.status === 'done' && i.score !== null && i.gradeMethod === 'lexical'));
    const grades = catalog.evalGrades.forRun(runId);
    assert.equal(grades.length, 24, 'one grade per item');
    assert.deepEqual(new Set(grades.map((g) => g.itemId)).size, 24);
    for (const b of before) {
      const now = items.find((i) => i.id === b.id)!;
      assert.deepEqual({ answer: now.answer, finishedAt: now.finishedAt }, { answer: b.answer, finishedAt: b.finishedAt }, `item ${b.id} was not done again`);
    }
  } finally {
    catalog.close();
  }
});
