// What the model import refuses, and what it leaves behind when it stops: the checkpoint folder
// is a stranger's download, and an import may be cancelled half way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { importModel, type ImportProgress } from '../../src/main/engine/build/import-model.ts';
import { makeModel } from '../../src/main/engine/dev/make-model.ts';
import { SafetensorsFile } from '../../src/main/engine/hf/safetensors.ts';
import { modelsDir } from '../../src/main/engine/library.ts';
import { tmpDir } from '../helpers/tmp.ts';

const root = tmpDir('import-source');
const good = join(root, 'good');
makeModel({ arch: 'qwen3', preset: 'tiny', out: good, seed: 3 });

function copyOf(name: string): string {
  const dir = join(root, name);
  rmSync(dir, { recursive: true, force: true });
  cpSync(good, dir, { recursive: true });
  return dir;
}

/** Nothing but finished models in the library: no temporary folder of a stopped import. */
function leftovers(home: string): string[] {
  const dir = modelsDir(home);
  return existsSync(dir) ? readdirSync(dir).filter((n) => n.startsWith('.')) : [];
}

test('a cancelled import stops, says so, and leaves nothing in the library', async () => {
  const home = tmpDir('import-cancel');
  const stop = new AbortController();
  const phases: ImportProgress['phase'][] = [];
  await assert.rejects(
    importModel(good, {
      home,
      precision: 'int4',
      signal: stop.signal,
      onProgress: (p) => {
        phases.push(p.phase);
        if (p.phase === 'convert') stop.abort();
      },
    }),
    /import of .*good cancelled; nothing was kept/,
  );
  assert.ok(phases.includes('convert'), 'the conversion had started');
  assert.deepEqual(leftovers(home), []);
  assert.deepEqual(existsSync(modelsDir(home)) ? readdirSync(modelsDir(home)) : [], []);
  // and the same import, not cancelled, completes
  const done = await importModel(good, { home, precision: 'int4' });
  assert.equal(done.existed, false);
});

test("a killed import's temporary folder is removed by the next import", async () => {
  const home = tmpDir('import-killed');
  mkdirSync(modelsDir(home), { recursive: true });
  // a pid that cannot be running (above the kernel's pid limit), as a SIGKILLed import leaves it
  const abandoned = join(modelsDir(home), '.import-4194305-0123456789ab');
  mkdirSync(abandoned);
  writeFileSync(join(abandoned, 'model.onnx.data'), 'half written');
  const running = join(modelsDir(home), `.import-${process.pid}-0123456789ab`); // this process: still running
  mkdirSync(running);
  await importModel(good, { home, precision: 'int8' });
  assert.ok(!existsSync(abandoned), 'the abandoned folder is gone');
  assert.ok(existsSync(running), "a running import's folder is left alone");
  rmSync(running, { recursive: true });
});

test('progress carries throughput and time left, by phase', async () => {
  const seen: ImportProgress[] = [];
  await importModel(good, { home: tmpDir('import-progress'), precision: 'int8', onProgress: (p) => seen.push(p) });
  for (const phase of ['hash', 'convert'] as const) {
    const last = seen.filter((p) => p.phase === phase).at(-1);
    assert.ok(last, `no ${phase} progress`);
    assert.equal(last.done, last.total, `${phase} ends complete`);
    assert.ok(last.bytesPerSec > 0, `${phase}: bytes per second`);
  }
});

test('NaN in a weight is refused with the file, the tensor and where', async () => {
  const dir = copyOf('nan');
  const file = SafetensorsFile.open(join(dir, 'model.safetensors'));
  const at = file.locate('model.layers.1.mlp.up_proj.weight');
  file.close();
  const bytes = readFileSync(join(dir, 'model.safetensors'));
  bytes.writeUInt16LE(0x7fc0, at.begin + 2 * (3 * at.cols + 5)); // bf16 NaN at [3, 5]
  writeFileSync(join(dir, 'model.safetensors'), bytes);
  const home = tmpDir('import-nan');
  await assert.rejects(importModel(dir, { home, precision: 'int4' }), (err: Error) => {
    assert.match(err.message, /model\.safetensors: tensor "model\.layers\.1\.mlp\.up_proj\.weight" holds NaN at \[3, 5\]/);
    assert.equal(err.message.split('\n').length, 1);
    return true;
  });
  assert.deepEqual(leftovers(home), []);
});

test('a symlink that leaves the model folder is refused, not copied into the library', async () => {
  const dir = copyOf('escape');
  rmSync(join(dir, 'tokenizer_config.json'));
  symlinkSync('/etc/hostname', join(dir, 'tokenizer_config.json'));
  await assert.rejects(importModel(dir, { home: tmpDir('import-escape') }), /tokenizer_config\.json is a symlink to \/etc\/hostname, outside the model folder: refused/);
});

test('a symlink inside the folder (or a hub snapshot into its blobs) is followed', async () => {
  const repo = join(root, 'models--org--tiny');
  rmSync(repo, { recursive: true, force: true });
  const snapshot = join(repo, 'snapshots', '0123456789abcdef0123456789abcdef01234567');
  cpSync(good, snapshot, { recursive: true });
  // as the hub lays it out: the snapshot's files are links into ../../blobs
  cpSync(join(good, 'model.safetensors'), join(repo, 'blobs', 'weights'), { recursive: true });
  rmSync(join(snapshot, 'model.safetensors'));
  symlinkSync('../../blobs/weights', join(snapshot, 'model.safetensors'));
  const r = await importModel(snapshot, { home: tmpDir('import-hub'), precision: 'fp32' });
  assert.equal(r.manifest.name, 'org/tiny');
});

test('a changed tokenizer or chat template is imported again into the same model, not "already imported"', async () => {
  const dir = copyOf('retokenized');
  const home = tmpDir('import-retokenized');
  const first = await importModel(dir, { home, precision: 'fp32' });
  const config = JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8'));
  config.chat_template = '{{ messages[0].content }}';
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(config));
  const second = await importModel(dir, { home, precision: 'fp32' });
  assert.equal(second.existed, false);
  assert.equal(second.id, first.id, 'the same weights: the same model, so its conversations stay with it');
  assert.notEqual(second.manifest.source.sha256, first.manifest.source.sha256);
  assert.equal((await importModel(dir, { home, precision: 'fp32' })).existed, true, 'unchanged since: already imported');
  assert.equal(JSON.parse(readFileSync(join(second.dir, 'tokenizer_config.json'), 'utf8')).chat_template, '{{ messages[0].content }}');
  assert.ok(second.manifest.source.files.some((f) => f.name === 'tokenizer_config.json'));
  copyFileSync(join(good, 'tokenizer_config.json'), join(dir, 'tokenizer_config.json'));
});
