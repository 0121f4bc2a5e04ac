// A model imported by an older builder is rebuilt from its source on the next import, in place,
// and only swapped in once the new build is complete.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { importModel } from '../../src/main/engine/build/import-model.ts';
import { BUILDER_VERSION, modelsDir } from '../../src/main/engine/library.ts';
import { tinyModel } from '../helpers/models.ts';
import { tmpDir } from '../helpers/tmp.ts';

it('rebuilds an import made by an older builder version', async () => {
  const model = await tinyModel('qwen3');
  const home = tmpDir('reimport');
  const first = await importModel(model.hfDir, { home });
  const manifestPath = join(first.dir, 'manifest.json');
  const old = JSON.parse(readFileSync(manifestPath, 'utf8'));
  writeFileSync(manifestPath, JSON.stringify({ ...old, builderVersion: BUILDER_VERSION - 1 }));
  const again = await importModel(model.hfDir, { home });
  assert.equal(again.existed, false);
  assert.equal(again.id, first.id);
  assert.equal(JSON.parse(readFileSync(manifestPath, 'utf8')).builderVersion, BUILDER_VERSION);
  assert.deepEqual(readdirSync(modelsDir(home)), [first.id], 'no temporary or outdated folder is left');
  assert.equal((await importModel(model.hfDir, { home })).existed, true);
});
