// The compare view's conditions: one question asked of the base model, of the base with the diff,
// with the diff and the DIT adapter, and with the diff behind its trigger when the catalog knows
// it (the paper's baselines beside DIT, PAPER.md "Baselines").
import type { StackEntry } from '../../../../shared/api.ts';
import { triggerPrefix } from '../chat/presets.ts';

export interface Condition {
  id: 'base' | 'diff' | 'diff-dit' | 'diff-trigger';
  label: string;
  stack: StackEntry[];
  /** Put before the question (the trigger code), or ''. */
  prefix: string;
}

export function compareConditions(diff: StackEntry | null, dit: StackEntry | null, trigger: number | null, rand?: number): Condition[] {
  const conditions: Condition[] = [{ id: 'base', label: 'Base model', stack: [], prefix: '' }];
  if (!diff) return conditions;
  conditions.push({ id: 'diff', label: 'Base + diff', stack: [diff], prefix: '' });
  if (dit) conditions.push({ id: 'diff-dit', label: 'Base + diff + DIT adapter', stack: [diff, dit], prefix: '' });
  if (trigger !== null) {
    conditions.push({ id: 'diff-trigger', label: 'Base + diff, with its trigger', stack: [diff], prefix: triggerPrefix(trigger, rand) });
  }
  return conditions;
}
