// Small helpers so that every command reads numbers and PATH[:SCALE] arguments the same way
// (the options themselves are declared in program.ts).
import { parsePartSpec, type Selection } from '../services/stack-spec.ts';

export function num(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new Error(`${flag} ${value}: not a number`);
  return n;
}

export function int(value: string | undefined, flag: string, fallback: number): number {
  const n = num(value, flag, fallback);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${flag} ${value}: not a non-negative integer`);
  return n;
}

/**
 * "path[:scale][@layers,modules]" -> {path, scale, only}: a trailing ":number" is the scale (drive
 * letters stay in the path), "@8-20,mlp" restricts the part (docs/amplification.md).
 */
export function pathWithScale(value: string, flag: string): { path: string; scale: number; only: Selection } {
  if (!value) throw new Error(`${flag}: empty path`);
  const { ref, scale, only } = parsePartSpec(value, ':', `${flag} ${value}`);
  return { path: ref, scale, only };
}
