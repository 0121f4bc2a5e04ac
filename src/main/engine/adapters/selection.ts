// Which layers and modules a stack part acts on. A part restricted to "layers 8-20, mlp only"
// keeps its factors everywhere else but contributes nothing there: the engine writes zeros for the
// modules outside the selection, exactly as if the adapter had no such modules.
import { MODULES, type ModuleName } from '../modules.ts';
import { parseModuleKey } from './lowrank.ts';

/** Absent or empty lists select everything: `{}` is the whole adapter. */
export interface PartSelection {
  layers?: number[];
  modules?: ModuleName[];
}

/** Whether a module `${layer}.${module}` is inside the selection. */
export function selects(sel: PartSelection | undefined, key: string): boolean {
  if (!sel) return true;
  const { layer, module } = parseModuleKey(key);
  if (sel.layers?.length && !sel.layers.includes(layer)) return false;
  if (sel.modules?.length && !sel.modules.includes(module)) return false;
  return true;
}

/** A stable text for a selection ('' for everything), to tell two selections apart cheaply. */
export function selectionKey(sel: PartSelection | undefined): string {
  if (!sel || (!sel.layers?.length && !sel.modules?.length)) return '';
  return `${[...(sel.layers ?? [])].sort((a, b) => a - b).join(',')}|${[...(sel.modules ?? [])].sort().join(',')}`;
}

/** Refuses layers a model does not have and module names it does not know; names the part. */
export function checkSelection(sel: PartSelection | undefined, layers: number, what: string): void {
  for (const l of sel?.layers ?? []) {
    if (!Number.isInteger(l) || l < 0 || l >= layers) throw new Error(`${what}: layer ${l} is outside the model's layers 0-${layers - 1}`);
  }
  for (const m of sel?.modules ?? []) {
    if (!(MODULES as readonly string[]).includes(m)) throw new Error(`${what}: module "${m}" is not one of ${MODULES.join(', ')}`);
  }
}
