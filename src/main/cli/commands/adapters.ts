// `diffscope adapters inspect|export`: what an adapter file is, and any stack written as one PEFT adapter.
import { writePeft } from '../../engine/adapters/peft.ts';
import { inspectAdapter } from '../../engine/adapters/inspect.ts';
import { loadLowRank } from '../../engine/adapters/load.ts';
import { fits } from '../../engine/adapters/validate.ts';
import type { LoadedStackEntry } from '../../engine/adapters/lowrank.ts';
import { knownBaseShapes } from '../../engine/known-shapes.ts';
import { listManifests } from '../../engine/library.ts';
import { int, pathWithScale } from '../args.ts';

export async function inspectCommand(path: string, values: { json?: boolean; rank?: string; base?: string }): Promise<void> {
  const lr = loadLowRank(path, { base: values.base, rank: values.rank ? int(values.rank, '--rank', 0) : undefined });
  const info = inspectAdapter(lr);
  const candidates = [
    ...listManifests().map((m) => ({ name: `${m.id} (library)`, base: m })),
    ...knownBaseShapes(),
  ];
  const fitsBases = fits(lr, candidates).map((c) => c.name);
  if (values.json) {
    console.log(JSON.stringify({ ...info, energy: lr.meta.energy ? Number(lr.meta.energy) : undefined, warning: lr.meta.warning, fits: fitsBases }));
    return;
  }
  const lines = [
    `format   ${info.format}`,
    `kind     ${info.kind}`,
    `rank     ${info.rank}`,
    `modules  ${info.modules.count} in ${info.layers.length} layers (${summariseModules(info.modules.names)})`,
  ];
  if (info.label !== undefined) lines.push(`label    ${info.label}`);
  if (info.trigger !== undefined) lines.push(`trigger  ${info.trigger}`);
  if (info.split !== undefined) lines.push(`split    ${info.split}`);
  if (lr.meta.energy) lines.push(`energy   ${(Number(lr.meta.energy) * 100).toFixed(2)}% of the diff's ||ΔW||_F² kept at rank ${info.rank}`);
  if (lr.meta.warning) lines.push(`warning  ${lr.meta.warning}`);
  lines.push(`norms    ${info.perLayerNorms.map((n) => n.toPrecision(3)).join(' ')}  (per layer, ||scale·a·b||_F summed over modules)`);
  lines.push(`fits     ${fitsBases.length ? fitsBases.join(', ') : 'none of the library models or known release shapes'}`);
  console.log(lines.join('\n'));
}

function summariseModules(names: string[]): string {
  const kinds = [...new Set(names.map((n) => n.split('.').at(-1)))];
  return kinds.join(', ');
}

export async function exportCommand(values: { diff?: string[]; dit?: string; out: string; baseModel: string }): Promise<void> {
  const refs = [...(values.diff ?? []).map((d) => pathWithScale(d, '--diff')), ...(values.dit ? [pathWithScale(values.dit, '--dit')] : [])];
  if (refs.length === 0) throw new Error('nothing to export: give --diff and/or --dit');
  const stack: LoadedStackEntry[] = refs.map((r) => ({ adapter: loadLowRank(r.path), scale: r.scale }));
  writePeft(values.out, stack, { baseModel: values.baseModel });
  const rank = stack.reduce((a, s) => a + s.adapter.rank, 0);
  console.log(`wrote ${values.out}: one rank-${rank} PEFT adapter (${refs.map((r) => `${r.path} x${r.scale}`).join(' + ')})`);
}
