// Reads an adapter reference ("file[#index]") into a LowRank, whatever its format.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { LowRank } from './lowrank.ts';
import { readOwnLowRank } from './own-format.ts';
import { readPaperPt, readPaperShard } from './paper.ts';
import { readPaperFull } from './paper-full.ts';
import { readPeft } from './peft.ts';
import { readFullFinetune } from './full.ts';

export interface LoadOptions {
  base?: string; // Hugging Face folder of the base model: what a full finetune is diffed against
  rank?: number; // rank a full finetune is compressed to
}

export function loadLowRank(ref: string, opts: LoadOptions = {}): LowRank {
  const hash = ref.lastIndexOf('#');
  const path = hash > 0 ? ref.slice(0, hash) : ref;
  if (!existsSync(path)) throw new Error(`${path}: no such adapter file or folder`);
  if (path.endsWith('.safetensors')) return readOwnLowRank(path);
  if (path.endsWith('.pt')) {
    // the paper's files: a shard of diffs ("file.pt#INDEX") or a DIT adapter
    const index = hash > 0 ? Number(ref.slice(hash + 1)) : undefined;
    if (index !== undefined && !Number.isSafeInteger(index)) throw new Error(`${ref}: "#${ref.slice(hash + 1)}" is not a diff index`);
    if (index !== undefined && opts.base && opts.rank && readPaperShard(path)[index]?.kind === 'full') {
      return readPaperFull(path, index, { base: opts.base, rank: opts.rank });
    }
    return readPaperPt(path, index);
  }
  if (statSync(path).isDirectory()) {
    if (existsSync(join(path, 'adapter_config.json'))) return readPeft(path);
    if (existsSync(join(path, 'config.json'))) {
      if (!opts.base || !opts.rank) {
        throw new Error(`${path} is a full finetune (config.json): diffing it needs the base model's Hugging Face folder and a rank to compress to (--rank K)`);
      }
      return readFullFinetune(path, { base: opts.base, rank: opts.rank });
    }
  }
  throw new Error(`${path}: unrecognised adapter format (expected a .safetensors low-rank file, a paper .pt file (a diff shard as FILE.pt#INDEX, or a DIT adapter), a PEFT folder with adapter_config.json, or a full finetune folder with config.json)`);
}
