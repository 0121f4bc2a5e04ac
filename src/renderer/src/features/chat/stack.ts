// The stack being composed in the chat header: a base model, at most one diff and one DIT adapter,
// each attached part switchable on and off and scaled. What a turn sends is the parts that are on.
import type { AdapterView, StackEntry } from '../../../../shared/api.ts';

export interface DraftPart {
  adapterId: string;
  scale: number; // the person's multiplier, on top of the adapter's own 1/r
  on: boolean;
}

export interface StackDraft {
  modelId: string | null;
  diff: DraftPart | null;
  dit: DraftPart | null;
}

export type Role = StackEntry['role'];

export const emptyDraft = (modelId: string | null): StackDraft => ({ modelId, diff: null, dit: null });

export const roleOf = (a: Pick<AdapterView, 'kind'>): Role => (a.kind === 'dit' ? 'dit' : 'diff');

/** The parts that are switched on, diff first (the order the engine stacks them in). */
export function stackOf(d: StackDraft): StackEntry[] {
  const parts: StackEntry[] = [];
  if (d.diff?.on) parts.push({ adapterId: d.diff.adapterId, scale: d.diff.scale, role: 'diff' });
  if (d.dit?.on) parts.push({ adapterId: d.dit.adapterId, scale: d.dit.scale, role: 'dit' });
  return parts;
}

/** A conversation's stored stack as a draft (everything in it is on). */
export function draftFrom(modelId: string, stack: StackEntry[]): StackDraft {
  const part = (role: Role): DraftPart | null => {
    const p = stack.find((s) => s.role === role);
    return p ? { adapterId: p.adapterId, scale: p.scale, on: true } : null;
  };
  return { modelId, diff: part('diff'), dit: part('dit') };
}

/** The draft with an adapter attached in its role (replacing what was there), switched on. */
export function attach(d: StackDraft, a: Pick<AdapterView, 'id' | 'kind'>): StackDraft {
  return { ...d, [roleOf(a)]: { adapterId: a.id, scale: 1, on: true } };
}

/** A reply's stack in a few words: "base", "base + diff ×0.50 + DIT". */
export function stackSummary(stack: readonly Pick<StackEntry, 'role' | 'scale'>[] | null): string {
  const parts = ['base'];
  for (const p of stack ?? []) parts.push(p.role === 'diff' ? (p.scale === 1 ? 'diff' : `diff ×${p.scale.toFixed(2)}`) : 'DIT');
  return parts.join(' + ');
}
