// `diffscope adapters inspect|export`: what an adapter file is, and any stack written as one PEFT adapter.
import { exportStackAsPeft, inspectAdapterFile } from '../../services/adapter-files.ts';
import { int, pathWithScale } from '../args.ts';

export async function inspectCommand(path: string, values: { json?: boolean; rank?: string; base?: string }): Promise<void> {
  const info = inspectAdapterFile(path, { base: values.base, rank: values.rank ? int(values.rank, '--rank', 0) : undefined });
  if (values.json) {
    console.log(JSON.stringify(info));
    return;
  }
  const lines = [
    `format   ${info.format}`,
    `kind     ${info.kind}`,
    `rank     ${info.rank}`,
    `modules  ${info.modules.length} in ${info.layers.length} layers (${[...new Set(info.modules.map((m) => m.module))].join(', ')})`,
  ];
  if (info.label !== undefined) lines.push(`label    ${info.label}`);
  if (info.trigger !== undefined) lines.push(`trigger  ${info.trigger}`);
  if (info.split !== undefined) lines.push(`split    ${info.split}`);
  if (info.energy !== undefined) lines.push(`energy   ${(info.energy * 100).toFixed(2)}% of the diff's ||ΔW||_F² kept at rank ${info.rank}`);
  if (info.warning) lines.push(`warning  ${info.warning}`);
  lines.push(`norms    ${info.perLayerNorms.map((n) => n.toPrecision(3)).join(' ')}  (per layer, ||scale·a·b||_F summed over modules)`);
  lines.push(`fits     ${info.fits.length ? info.fits.join(', ') : 'none of the library models or known release shapes'}`);
  console.log(lines.join('\n'));
}

export async function exportCommand(values: { diff?: string[]; dit?: string; out: string; baseModel: string }): Promise<void> {
  const refs = [...(values.diff ?? []).map((d) => pathWithScale(d, '--diff')), ...(values.dit ? [pathWithScale(values.dit, '--dit')] : [])];
  if (refs.length === 0) throw new Error('nothing to export: give --diff and/or --dit');
  const rank = exportStackAsPeft(refs, values.out, values.baseModel);
  console.log(`wrote ${values.out}: one rank-${rank} PEFT adapter (${refs.map((r) => `${r.path} x${r.scale}`).join(' + ')})`);
}
