// Amplification's written form (docs/amplification.md): a stack part's scale and the layers and
// modules it acts on, as the CLI (`--diff FILE:2@8-20,mlp`) and the OpenAI-compatible model id
// (`MODEL+ADAPTER*2@8-20,mlp`) write them, and the check every entry point's stack goes through.
import type { StackEntry, StackModule } from '../../shared/api.ts';
import { formatSelection, MODULE_GROUPS, STACK_MODULES } from '../../shared/stack-selection.ts';
import { UserError } from './context.ts';

const MODULES = STACK_MODULES;
const GROUPS: Record<string, readonly StackModule[]> = MODULE_GROUPS;
export { formatSelection };

export interface Selection {
  layers?: number[];
  modules?: StackModule[];
}

const SELECTION_TEXT = /^[0-9a-z]+(?:-[0-9]+)?(?:,[0-9a-z]+(?:-[0-9]+)?)*$/i;

/**
 * "8-20,mlp", "0,1", "attn", "3-5,q,v": numbers and ranges are layers, names are modules or the
 * groups attn and mlp. A part acts where both lists hold (an absent list holds everything).
 */
export function parseSelection(text: string, where: string): Selection {
  if (!SELECTION_TEXT.test(text)) throw new UserError(`${where}: "@${text}" is not a selection such as @8-20,mlp (layers and ranges, module names q k v o gate up down, attn, mlp)`);
  const layers = new Set<number>();
  const modules = new Set<StackModule>();
  for (const item of text.toLowerCase().split(',')) {
    const range = /^(\d+)(?:-(\d+))?$/.exec(item);
    if (range) {
      const from = Number(range[1]);
      const to = range[2] === undefined ? from : Number(range[2]);
      if (to < from) throw new UserError(`${where}: layer range ${item} runs backwards`);
      if (to - from > 10_000) throw new UserError(`${where}: layer range ${item} is longer than any model`);
      for (let l = from; l <= to; l++) layers.add(l);
    } else if (GROUPS[item]) {
      for (const m of GROUPS[item]) modules.add(m);
    } else if ((MODULES as readonly string[]).includes(item)) {
      modules.add(item as StackModule);
    } else {
      throw new UserError(`${where}: "${item}" is neither a layer, a layer range (8-20) nor a module (${MODULES.join(', ')}, attn, mlp)`);
    }
  }
  return normalize({ layers: [...layers], modules: [...modules] });
}

/** "REF[SEP SCALE][@SELECTION]" -> its parts; `sep` is ':' on the command line and '*' in a model id. */
export function parsePartSpec(text: string, sep: ':' | '*', where: string): { ref: string; scale: number; only: Selection } {
  let rest = text;
  let only: Selection = {};
  const at = rest.lastIndexOf('@');
  if (at > 0 && SELECTION_TEXT.test(rest.slice(at + 1))) {
    only = parseSelection(rest.slice(at + 1), where);
    rest = rest.slice(0, at);
  }
  const cut = rest.lastIndexOf(sep);
  const scaleText = cut > 0 ? rest.slice(cut + 1) : '';
  // a trailing number after the separator is the scale (a drive letter's colon is not)
  if (cut > 1 && /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(scaleText)) {
    return { ref: rest.slice(0, cut), scale: Number(scaleText), only };
  }
  if (sep === '*' && cut > 0) throw new UserError(`${where}: scale "${scaleText}" is not a number`);
  if (!rest) throw new UserError(`${where}: empty`);
  return { ref: rest, scale: 1, only };
}

/** A part's selection, checked against the model's layer count: sorted, without repeats, empty lists left out. */
export function partSelection(part: Pick<StackEntry, 'layers' | 'modules'>, layers: number | undefined, what: string): Selection {
  for (const l of part.layers ?? []) {
    if (!Number.isInteger(l) || l < 0) throw new UserError(`${what}: layer ${l} is not a layer number`);
    if (layers !== undefined && l >= layers) throw new UserError(`${what}: layer ${l} is outside the model's layers 0-${layers - 1}`);
  }
  for (const m of part.modules ?? []) {
    if (!(MODULES as readonly string[]).includes(m)) throw new UserError(`${what}: module "${m}" is not one of ${MODULES.join(', ')}`);
  }
  return normalize(part);
}

function normalize(sel: Selection): Selection {
  const layers = [...new Set(sel.layers ?? [])].sort((a, b) => a - b);
  const modules = MODULES.filter((m) => sel.modules?.includes(m));
  return { ...(layers.length ? { layers } : {}), ...(modules.length && modules.length < MODULES.length ? { modules } : {}) };
}

/** "@8-20,mlp" for a restricted part, '' for a whole one: how provenance, exports and commands write it. */
export function selectionSuffix(part: { layers?: unknown; modules?: unknown }): string {
  const layers = Array.isArray(part.layers) ? part.layers.filter((l): l is number => Number.isInteger(l)) : [];
  const modules = Array.isArray(part.modules) ? part.modules.filter((m): m is StackModule => (MODULES as readonly unknown[]).includes(m)) : [];
  const text = formatSelection({ layers, modules });
  return text ? `@${text}` : '';
}
