// `diffscope demo` and `eval --demo` make sure the embedded demo is in the catalog on every run.
// Its files are hashed once: an unchanged demo is not imported (hashed) again, a changed one is.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { createBackend } from '../../src/main/services/backend.ts';
import { ensureDemo } from '../../src/main/services/eval/demo.ts';
import { tmpDir } from '../helpers/tmp.ts';

const DEMO = join(import.meta.dirname, '..', '..', 'resources', 'demo');

test('the demo is imported once; again only when its files change', async () => {
  const demoDir = join(tmpDir('demo-copy'), 'demo');
  cpSync(DEMO, demoDir, { recursive: true });
  const b = await createBackend({ home: tmpDir('demo-reuse'), shell: 'browser', engineHost: 'thread', firstRun: false });
  try {
    const titles = () => b.ctx.jobs.list().map((j) => j.title);
    const first = await ensureDemo(b.ctx, demoDir);
    const afterFirst = titles().length;
    assert.ok(afterFirst > 0, 'the first run imports the demo');

    const second = await ensureDemo(b.ctx, demoDir);
    assert.deepEqual(second, first);
    assert.equal(titles().length, afterFirst, `the second run imported again: ${titles().join(', ')}`);

    const later = new Date(Date.now() + 60_000);
    utimesSync(join(demoDir, 'base-model', 'config.json'), later, later); // as a retrained demo would
    const third = await ensureDemo(b.ctx, demoDir);
    assert.equal(third.modelId, first.modelId, 'the same content is the same model');
    assert.deepEqual(titles().slice(0, titles().length - afterFirst), ['Import the demo model'], 'a changed demo is hashed again');
    assert.equal(titles().length, afterFirst + 1);
  } finally {
    await b.close();
  }
});
