// Small helpers so that every command reads numbers and PATH[:SCALE] arguments the same way
// (the options themselves are declared in program.ts).
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

/** "path[:scale]" -> {path, scale}; a trailing ":number" is the scale (drive letters stay in the path). */
export function pathWithScale(value: string, flag: string): { path: string; scale: number } {
  const m = /^(.*):([-+]?\d*\.?\d+(?:e[-+]?\d+)?)$/i.exec(value);
  if (m && m[1].length > 1) return { path: m[1], scale: Number(m[2]) };
  if (!value) throw new Error(`${flag}: empty path`);
  return { path: value, scale: 1 };
}
