// The stack being composed in the chat header: a base model, at most one diff and one DIT adapter,
// each attached part switchable on and off and scaled. What a turn sends is the parts that are on.
import type { AdapterView, StackEntry, StackModule } from '../../../../shared/api.ts';
import { formatSelection } from '../../../../shared/stack-selection.ts';

export interface DraftPart {
  adapterId: string;
  scale: number; // the person's multiplier, on top of the adapter's own 1/r: any real number
  on: boolean;
  layers?: number[]; // only these layers (absent: all)
  modules?: StackModule[]; // only these modules (absent: all)
}

/** A draft part as the API's stack entry, its restriction included. */
export function partEntry(p: DraftPart, role: Role): StackEntry {
  return { adapterId: p.adapterId, scale: p.scale, role, ...(p.layers?.length ? { layers: p.layers } : {}), ...(p.modules?.length ? { modules: p.modules } : {}) };
}

/** "@8-20,mlp" for a restricted part, '' for a whole one. */
export const selectionSuffix = (p: Pick<StackEntry, 'layers' | 'modules'>): string => {
  const text = formatSelection(p);
  return text ? ` @${text}` : '';
};

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
  if (d.diff?.on) parts.push(partEntry(d.diff, 'diff'));
  if (d.dit?.on) parts.push(partEntry(d.dit, 'dit'));
  return parts;
}

/** A conversation's stored stack as a draft (everything in it is on). */
export function draftFrom(modelId: string, stack: StackEntry[]): StackDraft {
  const part = (role: Role): DraftPart | null => {
    const p = stack.find((s) => s.role === role);
    return p ? { adapterId: p.adapterId, scale: p.scale, on: true, ...(p.layers ? { layers: p.layers } : {}), ...(p.modules ? { modules: p.modules } : {}) } : null;
  };
  return { modelId, diff: part('diff'), dit: part('dit') };
}

/** The draft with an adapter attached in its role (replacing what was there), switched on. */
export function attach(d: StackDraft, a: Pick<AdapterView, 'id' | 'kind'>): StackDraft {
  return { ...d, [roleOf(a)]: { adapterId: a.id, scale: 1, on: true } };
}

/** A reply's stack in a few words: "base", "base + diff ×0.50 + DIT", "base + diff ×2.00 @8-20,mlp". */
export function stackSummary(stack: readonly Pick<StackEntry, 'role' | 'scale' | 'layers' | 'modules'>[] | null): string {
  const parts = ['base'];
  for (const p of stack ?? []) {
    const name = p.role === 'diff' ? 'diff' : 'DIT';
    parts.push(`${name}${p.scale === 1 ? '' : ` ×${p.scale.toFixed(2)}`}${selectionSuffix(p)}`);
  }
  return parts.join(' + ');
}
