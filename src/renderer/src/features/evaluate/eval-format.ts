// How runs, their progress and their results read on screen.
import type { EvalItemView, EvalMethodResult, EvalProgressView, EvalRunView, EvalSelection } from '../../../../shared/api.ts';
import { diffCodeName } from '../../lib/format.ts';
import { methodTitle } from './methods.ts';

/** A rough duration: "40 s", "3 min 20 s", "2 h 5 min". */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`;
  const m = Math.round(s / 60);
  return `${Math.floor(m / 60)} h${m % 60 ? ` ${m % 60} min` : ''}`;
}

/** done / total, speed and time left, as one line under the progress bar. */
export function progressLine(p: EvalProgressView): string {
  const parts = [`${p.done} / ${p.total} items`];
  if (p.failed) parts.push(`${p.failed} failed`);
  if (p.active && p.method) parts.push(methodTitle(p.method));
  if (p.itemsPerSecond !== null) parts.push(`${p.itemsPerSecond < 10 ? p.itemsPerSecond.toFixed(1) : Math.round(p.itemsPerSecond)} items/s`);
  if (p.etaSeconds !== null && p.pending > 0) parts.push(`about ${duration(p.etaSeconds)} left`);
  return parts.join(' · ');
}

/** A run's state in a word or two; a run left running by a quit shows as interrupted. */
export function statusText(run: EvalRunView): string {
  if (run.status === 'running' && !run.progress.active) return 'interrupted';
  if (run.status === 'paused' && run.error?.startsWith('interrupted')) return 'interrupted';
  return run.status;
}

/** Work is under way in the back end now (pausing makes sense). */
export const isActive = (run: EvalRunView) => run.status === 'running' && run.progress.active;

/** Stopped with items left (resuming makes sense). */
export const canResume = (run: EvalRunView) => !isActive(run) && run.status !== 'done';

export function selectionText(s: EvalSelection): string {
  const parts: string[] = [];
  if (s.adapterIds?.length) parts.push(`${s.adapterIds.length} chosen diffs`);
  if (s.split) parts.push(`${s.split} split`);
  if (s.tag) parts.push(`tag ${s.tag}`);
  if (s.experiment) parts.push(s.experiment);
  if (s.limit !== undefined) parts.push(`at most ${s.limit}`);
  return parts.length ? parts.join(' · ') : 'every diff';
}

export const methodsText = (run: EvalRunView) => run.methods.map(methodTitle).join(', ');

export const score = (x: number | null) => (x === null ? '–' : x.toFixed(2));

export const ciText = (r: EvalMethodResult) => (r.ci95 ? `${r.ci95[0].toFixed(2)} – ${r.ci95[1].toFixed(2)}` : '–');

/** The diff an item asked about; blind mode shows only its id, never what it teaches. */
export function itemDiffName(item: Pick<EvalItemView, 'adapterId' | 'label'>, blind: boolean): string {
  return diffCodeName(item.adapterId, item.label, blind);
}
