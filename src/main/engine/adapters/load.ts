// Reads an adapter reference ("file[#index]") into a LowRank, whatever its format.
import { existsSync } from 'node:fs';
import type { LowRank } from './lowrank.ts';
import { readOwnLowRank } from './own-format.ts';

export function loadLowRank(ref: string): LowRank {
  const hash = ref.lastIndexOf('#');
  const path = hash > 0 ? ref.slice(0, hash) : ref;
  if (!existsSync(path)) throw new Error(`${path}: no such adapter file or folder`);
  if (path.endsWith('.safetensors')) return readOwnLowRank(path);
  throw new Error(`${path}: unrecognised adapter format (expected a .safetensors low-rank file)`);
}
