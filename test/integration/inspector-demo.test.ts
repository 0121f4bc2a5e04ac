// The diff inspector on the shipped demo, through the real back end (SQLite catalog, the demo's
// files): base norms kept at import equal a plain sum of squares of the checkpoint; a model
// imported without them gets them on first use; a test diff's nearest diffs come with labels;
// the map places all 360 diffs with their categories; the CLI prints the same neighbours.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createBackend, type Backend } from '../../src/main/services/backend.ts';
import { envSecrets } from '../../src/main/services/grading/secrets.ts';
import { SafetensorsCheckpoint } from '../../src/main/engine/hf/safetensors.ts';
import type { JobView } from '../../src/shared/api.ts';
import { runCli } from '../helpers/cli.ts';
import { tmpDir } from '../helpers/tmp.ts';

const DEMO = join(import.meta.dirname, '..', '..', 'resources', 'demo');

async function waitJob(b: Backend, job: JobView): Promise<JobView> {
  const done = await b.ctx.jobs.wait(job.id);
  assert.equal(done.status, 'done', done.error ?? '');
  return done;
}

describe('diff inspector on the demo', { timeout: 300_000 }, () => {
  let home: string;
  let b: Backend;
  let modelId: string;

  before(async () => {
    home = tmpDir('inspector-demo');
    b = await createBackend({ home, shell: 'browser', engineHost: 'thread', firstRun: false, secrets: envSecrets({}) });
    modelId = (await waitJob(b, await b.requests.models.import(join(DEMO, 'base-model'), 'fp32'))).result!.modelId!;
    await waitJob(b, await b.requests.adapters.import(join(DEMO, 'hidden-topic'), modelId));
  });
  after(async () => b.close());

  const manifestPath = () => join(b.ctx.catalog.models.get(modelId)!.libraryDir, 'manifest.json');

  it('keeps ||W||_F of every module weight in the manifest, equal to a plain sum of squares', () => {
    const manifest = JSON.parse(readFileSync(manifestPath(), 'utf8'));
    const ckpt = SafetensorsCheckpoint.open(join(DEMO, 'base-model'));
    try {
      const w = ckpt.readF32('model.layers.2.mlp.down_proj.weight');
      const plain = Math.sqrt(w.reduce((s, x) => s + x * x, 0));
      assert.ok(Math.abs(manifest.baseNorms['2.down'] - plain) < 1e-9 * plain);
      assert.equal(Object.keys(manifest.baseNorms).length, 4 * 7);
    } finally {
      ckpt.close();
    }
  });

  it('a model imported without base norms gets them on first inspect, and keeps them', async () => {
    const manifest = JSON.parse(readFileSync(manifestPath(), 'utf8'));
    const kept = manifest.baseNorms;
    delete manifest.baseNorms;
    writeFileSync(manifestPath(), JSON.stringify(manifest));
    const info = await b.requests.adapters.inspect('demo-hidden-topic/0008');
    assert.equal(info.label, 'popcorn');
    assert.equal(info.modules.length, 28);
    for (const m of info.modules) {
      assert.equal(m.singularValues.length, 1);
      assert.ok(Math.abs(m.singularValues[0] - m.frobenius) < 1e-9 * m.frobenius);
      assert.equal(m.stableRank, 1);
      const base = kept[`${m.layer}.${m.module.replace('_proj', '')}`];
      assert.ok(m.relative !== null && Math.abs(m.relative - m.frobenius / base) < 1e-9 * m.relative, `${m.layer}.${m.module}`);
    }
    assert.deepEqual(JSON.parse(readFileSync(manifestPath(), 'utf8')).baseNorms, kept);
  });

  it("lists a test diff's nearest diffs with their labels, and the CLI prints the same", async () => {
    const found = await b.requests.adapters.similar('demo-hidden-topic/0008', 5);
    assert.equal(found.compared, 359); // the other diffs; the DIT adapter is not a diff
    assert.equal(found.nearest.length, 5);
    assert.ok(found.nearest.every((n) => n.id !== found.id && typeof n.label === 'string' && n.label.length > 0 && Math.abs(n.cosine) <= 1));
    assert.ok(found.nearest.every((n, i) => i === 0 || found.nearest[i - 1].cosine >= n.cosine));
    const run = await runCli(['adapters', 'similar', 'demo-hidden-topic/0008', '--top', '5', '--json'], home);
    assert.equal(run.code, 0, run.stderr);
    const cli = JSON.parse(run.stdout);
    assert.deepEqual(cli.nearest.map((n: { id: string; label: string }) => [n.id, n.label]), found.nearest.map((n) => [n.id, n.label]));
    const text = await runCli(['adapters', 'similar', 'demo-hidden-topic/0008', '--top', '3'], home);
    assert.match(text.stdout, new RegExp(`${found.nearest[0].id}\\s+\\w+\\s+${found.nearest[0].label}`));
  });

  it('places all 360 diffs on the map, each with its category', async () => {
    const map = await b.requests.adapters.map(modelId);
    assert.equal(map.points.length, 360);
    assert.equal(map.omitted, 0);
    assert.ok(map.points.every((p) => Number.isFinite(p.x) && Number.isFinite(p.y) && p.category !== null));
    assert.equal(new Set(map.points.map((p) => p.category)).size, 20);
    assert.ok(map.explained[0] > 0 && map.explained[0] >= map.explained[1]);
  });
});
