// A stack part's layers and modules written as text ("8-20,mlp"), the same way in the UI, the CLI,
// the OpenAI-compatible model id, provenance and exports (docs/amplification.md). Pure functions.
import type { StackModule } from './types.ts';

export const STACK_MODULES: readonly StackModule[] = ['q', 'k', 'v', 'o', 'gate', 'up', 'down'];
/** Names for groups of modules: attention's four projections, the MLP's three. */
export const MODULE_GROUPS: Readonly<Record<'attn' | 'mlp', readonly StackModule[]>> = { attn: ['q', 'k', 'v', 'o'], mlp: ['gate', 'up', 'down'] };

/** "0-2,5,7-8,attn,down"; '' for the whole adapter. */
export function formatSelection(sel: { layers?: readonly number[]; modules?: readonly StackModule[] }): string {
  const items: string[] = [];
  const layers = [...new Set(sel.layers ?? [])].sort((a, b) => a - b);
  for (let i = 0; i < layers.length; ) {
    let j = i;
    while (j + 1 < layers.length && layers[j + 1] === layers[j]! + 1) j++;
    items.push(j > i ? `${layers[i]}-${layers[j]}` : `${layers[i]}`);
    i = j + 1;
  }
  const modules = new Set(sel.modules ?? []);
  if (modules.size < STACK_MODULES.length) {
    for (const [group, members] of Object.entries(MODULE_GROUPS)) {
      if (members.every((m) => modules.has(m))) {
        items.push(group);
        for (const m of members) modules.delete(m);
      }
    }
    items.push(...STACK_MODULES.filter((m) => modules.has(m)));
  }
  return items.join(',');
}

/** "8-20", "0,2,5-7" -> the layers; '' -> []. Throws an Error that names the bad item. */
export function parseLayerList(text: string): number[] {
  const layers = new Set<number>();
  for (const item of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const range = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(item);
    if (!range) throw new Error(`"${item}" is not a layer or a layer range such as 8-20`);
    const from = Number(range[1]);
    const to = range[2] === undefined ? from : Number(range[2]);
    if (to < from) throw new Error(`layer range ${item} runs backwards`);
    if (to - from > 10_000) throw new Error(`layer range ${item} is longer than any model`);
    for (let l = from; l <= to; l++) layers.add(l);
  }
  return [...layers].sort((a, b) => a - b);
}
