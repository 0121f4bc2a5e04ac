// Adapter checks run in a worker thread (issue 12, item 2: one bad import never delays other
// requests): results and one-line refusals come back, and a check past its time limit is stopped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { checkAdapterOffThread, inspectAdapterOffThread } from '../../src/main/engine/adapters/off-thread.ts';
import { tinyShapes, writePeftFolder } from '../helpers/hostile-files.ts';
import { tmpDir } from '../helpers/tmp.ts';

test('checks in a worker: a result, a refusal naming the file, and a stop at the time limit', async () => {
  const root = tmpDir('off-thread');
  const good = writePeftFolder(join(root, 'good'));
  assert.equal((await checkAdapterOffThread(good, tinyShapes())).rank, 2);
  assert.equal((await inspectAdapterOffThread(good)).modules.length, 1);
  const evil = writePeftFolder(join(root, 'evil'), { config: { alpha_pattern: { '(a|aa)*b': 2 } } });
  await assert.rejects(checkAdapterOffThread(evil, tinyShapes()), { message: `${join(evil, 'adapter_config.json')}: alpha_pattern key "(a|aa)*b" is not a supported pattern: a quantifier on a group is not supported (it can take exponential time)` });
  await assert.rejects(checkAdapterOffThread(good, { ...tinyShapes(), layers: 0 }), /module layers\.0\.q_proj: the base model has 0 layers/);
  await assert.rejects(checkAdapterOffThread(good, tinyShapes(), {}, { timeoutMs: 1, heapMb: 256 }), { message: `${good}: reading it took over 0 s; stopped` });
});

test('many checks at once all finish, a few at a time', async () => {
  const root = tmpDir('off-thread-many');
  const folders = Array.from({ length: 8 }, (_, i) => writePeftFolder(join(root, `p${i}`), i % 2 ? {} : { config: { rank_pattern: { '(a+)+': 2 } } }));
  const outcomes = await Promise.allSettled(folders.map((f) => checkAdapterOffThread(f, tinyShapes())));
  assert.deepEqual(outcomes.map((o) => o.status), folders.map((_, i) => (i % 2 ? 'fulfilled' : 'rejected')));
});
