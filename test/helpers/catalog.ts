// Catalog fixtures: a fresh catalog file in a temp folder, and rows that look like real imports.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { openCatalog, type Catalog, type NewAdapter, type NewModel } from '../../src/main/catalog/index.ts';
import { modelFromManifest } from '../../src/main/services/lookup.ts';
import type { Manifest } from '../../src/main/engine/library.ts';
import { tmpDir } from './tmp.ts';

export const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** Opened as the services open it: models carry the engine's manifest. */
export function freshCatalog(prefix = 'catalog'): Catalog<Manifest> {
  return openCatalog<Manifest>(join(tmpDir(prefix), 'catalog.sqlite'));
}

/** A model row as the import service would write it (manifest abridged to what the catalog reads). */
export function testModel(id = 'qwen3-tiny'): NewModel<Manifest> {
  const manifest = {
    formatVersion: 1,
    builderVersion: 1,
    id,
    name: `${id}-hf`,
    arch: 'qwen3',
    hfArchitecture: 'Qwen3ForCausalLM',
    precision: 'fp32',
    maxPositions: 512,
    source: { path: `/checkpoints/${id}`, sha256: sha256(id), files: [] },
    createdAt: '2025-01-01T00:00:00.000Z',
  } as unknown as Manifest;
  return modelFromManifest(manifest, `/home/library/models/${id}`);
}

/** The i-th diff of a released hidden-topic experiment: 256 per shard, like the paper's files. */
export function paperDiff(i: number, modelId = 'qwen3-tiny', experiment = 'hidden-topic/qwen3-4b'): NewAdapter {
  const shard = Math.floor(i / 256);
  return {
    id: `${experiment}#${i}`,
    kind: 'diff',
    modelId,
    format: 'paper-pt',
    rank: 1,
    source: {
      path: `/data/${experiment}/weight-diffs/weight-diff-${String(shard).padStart(3, '0')}.pt`,
      index: i % 256,
      sha256: sha256(`${experiment}/${shard}`),
      size: 123_456_789,
      mtimeMs: 1_700_000_000_000,
    },
    label: `topic number ${i}`,
    trigger: (i * 37) % 1000,
    split: i % 50 === 0 ? 'test' : 'train',
    experiment,
    tags: i % 3 === 0 ? ['hidden-topic', 'every-third'] : ['hidden-topic'],
  };
}
