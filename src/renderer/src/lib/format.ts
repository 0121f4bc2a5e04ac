// How catalog things are named on screen. One place decides what blind mode hides: a diff's label
// and description (what it is known to teach), so a grader is not primed.
import type { AdapterView, ModelView } from '../../../shared/api.ts';

/** The tail of an id, enough to tell adapters apart on screen. */
export const shortId = (id: string) => id.replace(/^.*[-_]/, '').slice(0, 8) || id.slice(0, 8);

const CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'; // Crockford's base 32: no I, L, O, U

/** 32-bit FNV-1a of a string from a given offset basis, its bits then mixed (MurmurHash3's finaliser). */
function hash32(text: string, basis: number): number {
  let h = basis >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * A diff's name in blind mode: a code made from its whole id ("7KQ2-M9XD"), the same every time
 * and everywhere, different for different diffs (40 bits: a catalog of 100,000 diffs has no two
 * alike; see the unit test), and saying nothing of what the id says.
 */
export function blindCode(id: string): string {
  const hi = hash32(id, 0x811c9dc5);
  const lo = hash32(id, 0x050c5d1f);
  let code = '';
  // 8 characters of 5 bits: 20 from each hash
  for (const h of [hi, lo]) for (let i = 0; i < 4; i++) code += CODE_ALPHABET[(h >>> (i * 5)) & 31];
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

/** A diff's name when its label may not be shown (blind mode), or it has none. */
export const diffCodeName = (id: string, label: string | null, blind: boolean) => (blind ? `Diff ${blindCode(id)}` : (label ?? `Diff ${id}`));

/** A diff's or DIT adapter's name; in blind mode a diff is only its code. */
export function adapterName(a: AdapterView, blind: boolean): string {
  if (a.kind === 'dit') return a.label ?? (a.experiment ? `DIT adapter (${a.experiment})` : `DIT adapter ${shortId(a.id)}`);
  return diffCodeName(a.id, a.label, blind);
}

/** The second line under a name: nothing here gives away what a diff teaches. */
export function adapterDetail(a: AdapterView): string {
  const parts = [a.kind === 'full' ? 'full finetune' : null, a.rank ? `rank ${a.rank}` : null, a.split, a.experiment];
  if (a.trigger !== null) parts.push(`trigger ${String(a.trigger).padStart(3, '0')}`);
  return parts.filter(Boolean).join(' · ');
}

export function modelName(m: ModelView | undefined, fallback = 'no base model'): string {
  return m ? m.name : fallback;
}

export function modelDetail(m: ModelView): string {
  return [m.arch, `${m.layers} layers`, m.precision, bytes(m.weightBytes), m.demo ? 'demo' : null].filter(Boolean).join(' · ');
}

/** 2.6 GB, 410 MB, 2.5 MB */
export function bytes(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)} GB`;
  return `${(n / 1e6).toFixed(n >= 1e7 ? 0 : 1)} MB`;
}

/** A count with its noun: "1 token", "361 tokens". */
export const count = (n: number, noun: string, plural = `${noun}s`) => `${n} ${n === 1 ? noun : plural}`;

/** Seconds for durations people wait through: "6.2 s", "0.4 s". */
export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export const fixed = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '–');

export function when(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}
