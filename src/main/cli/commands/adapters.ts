// `diffscope adapters inspect|export`: what an adapter file is, and any stack written as one PEFT adapter.
import { writePeft } from '../../engine/adapters/peft.ts';
import { inspectAdapter } from '../../engine/adapters/inspect.ts';
import { loadLowRank } from '../../engine/adapters/load.ts';
import { fits } from '../../engine/adapters/validate.ts';
import type { StackEntry } from '../../engine/adapters/lowrank.ts';
import { knownBaseShapes } from '../../engine/known-shapes.ts';
import { listManifests } from '../../engine/library.ts';
import { int, parse, pathWithScale } from '../args.ts';
import { listAdapters } from './catalog.ts';

export async function adaptersCommand(args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  if (sub === 'inspect') return inspect(rest);
  if (sub === 'export') return exportPeft(rest);
  if (sub === undefined || sub === 'list' || sub.startsWith('--')) return listAdapters(sub === 'list' ? rest : args);
  throw new Error('usage: diffscope adapters inspect PATH[#INDEX] [--json] | adapters export --diff PATH[#INDEX][:SCALE] --dit PATH[:SCALE] --out DIR');
}

async function inspect(args: string[]): Promise<void> {
  const { values, positionals } = parse(args, {
    json: { type: 'boolean', default: false },
    rank: { type: 'string' },
    base: { type: 'string' },
  });
  if (positionals.length !== 1) throw new Error('usage: diffscope adapters inspect PATH[#INDEX] [--json] [--base HF_DIR --rank K]');
  const lr = loadLowRank(positionals[0], { base: values.base, rank: values.rank ? int(values.rank, '--rank', 0) : undefined });
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

async function exportPeft(args: string[]): Promise<void> {
  const { values } = parse(args, {
    diff: { type: 'string', multiple: true, default: [] },
    dit: { type: 'string' },
    out: { type: 'string' },
    'base-model': { type: 'string', default: '' },
  });
  if (!values.out) throw new Error('--out DIR is required');
  const refs = [...values.diff.map((d) => pathWithScale(d, '--diff')), ...(values.dit ? [pathWithScale(values.dit, '--dit')] : [])];
  if (refs.length === 0) throw new Error('nothing to export: give --diff and/or --dit');
  const stack: StackEntry[] = refs.map((r) => ({ adapter: loadLowRank(r.path), scale: r.scale }));
  writePeft(values.out, stack, { baseModel: values['base-model'] });
  const rank = stack.reduce((a, s) => a + s.adapter.rank, 0);
  console.log(`wrote ${values.out}: one rank-${rank} PEFT adapter (${refs.map((r) => `${r.path} x${r.scale}`).join(' + ')})`);
}
