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

/** "file.pt#12" -> the file and diff 12; "#" must be followed by a diff index ("file.pt#" is refused). */
export function parseAdapterRef(ref: string): { path: string; index: number | null } {
  const hash = ref.lastIndexOf('#');
  if (hash <= 0) return { path: ref, index: null };
  const text = ref.slice(hash + 1);
  if (!/^\d+$/.test(text) && existsSync(ref)) return { path: ref, index: null }; // a "#" in a file's or folder's name
  if (!/^\d{1,9}$/.test(text)) throw new Error(`${ref}: "#${text.slice(0, 40)}" is not a diff index (FILE.pt#INDEX, INDEX from 0)`);
  return { path: ref.slice(0, hash), index: Number(text) };
}

export function loadLowRank(ref: string, opts: LoadOptions = {}): LowRank {
  const { path } = parseAdapterRef(ref);
  try {
    return load(ref, opts);
  } catch (e) {
    // every message names the file it is about
    const message = (e as Error).message;
    if (!message.includes(path)) throw new Error(`${path}: ${message}`);
    throw e;
  }
}

function load(ref: string, opts: LoadOptions): LowRank {
  const { path, index: at } = parseAdapterRef(ref);
  if (!existsSync(path)) throw new Error(`${path}: no such adapter file or folder`);
  if (path.endsWith('.safetensors')) return readOwnLowRank(path);
  if (path.endsWith('.pt')) {
    // the paper's files: a shard of diffs ("file.pt#INDEX") or a DIT adapter
    const index = at ?? undefined;
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
