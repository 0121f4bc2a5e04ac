// How catalog things are named on screen. One place decides what blind mode hides: a diff's label
// and description (what it is known to teach), so a grader is not primed.
import type { AdapterView, ModelView } from '../../../shared/api.ts';

/** The tail of an id, enough to tell adapters apart on screen. */
export const shortId = (id: string) => id.replace(/^.*[-_]/, '').slice(0, 8) || id.slice(0, 8);

/** A diff's or DIT adapter's name; in blind mode a diff is only its short id. */
export function adapterName(a: AdapterView, blind: boolean): string {
  if (a.kind === 'dit') return a.label ?? (a.experiment ? `DIT adapter (${a.experiment})` : `DIT adapter ${shortId(a.id)}`);
  if (blind || !a.label) return `Diff ${shortId(a.id)}`;
  return a.label;
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
  return [m.arch, `${m.layers} layers`, m.precision, m.demo ? 'demo' : null].filter(Boolean).join(' · ');
}

export const fixed = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '–');

export function when(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}
