// `diffscope adapters inspect|similar|export`: what an adapter is (per module too), its nearest diffs, and any stack written as one PEFT adapter.
import { exportStackAsPeft, inspectAdapterFile, isAdapterPath } from '../../services/adapter-files.ts';
import type { AdapterInspection, ModuleFigures, SimilarAdapters } from '../../../shared/api.ts';
import { int, pathWithScale } from '../args.ts';
import { progressBar } from '../progress.ts';

type Inspected = Omit<AdapterInspection, 'id'> & { energy?: number; warning?: string; fits?: string[]; relativeTo?: string };

export async function inspectCommand(path: string, values: { json?: boolean; rank?: string; base?: string }): Promise<void> {
  // a file or folder, or else an adapter of the catalog by id
  const info: Inspected = !isAdapterPath(path) ? await inspectCatalogAdapter(path) : await inspectAdapterFile(path, { base: values.base, rank: values.rank ? int(values.rank, '--rank', 0) : undefined });
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
  if (info.fits) lines.push(`fits     ${info.fits.length ? info.fits.join(', ') : 'none of the library models or known release shapes'}`);
  lines.push(...moduleTable(info.modules, info.relativeMissing));
  console.log(lines.join('\n'));
}

/** The largest modules by ||ΔW||_F, with their size next to the base weight and their spectrum's ranks. */
function moduleTable(modules: ModuleFigures[], relativeMissing?: string): string[] {
  const largest = [...modules].sort((a, b) => b.frobenius - a.frobenius).slice(0, 8);
  const rows = largest.map((m) => [
    `layers.${m.layer}.${m.module}`,
    m.frobenius.toPrecision(4),
    m.relative === null ? '-' : m.relative.toPrecision(3),
    m.stableRank.toFixed(2),
    m.effectiveRank.toFixed(2),
    m.singularValues.slice(0, 4).map((v) => v.toPrecision(3)).join(' '),
  ]);
  const head = ['MODULE', '||ΔW||_F', '/||W||_F', 'STABLE', 'EFFECTIVE', 'SINGULAR VALUES'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [
    '',
    `largest modules (${largest.length} of ${modules.length}; --json lists every one)${relativeMissing ? `; relative size unknown: ${relativeMissing}` : ''}`,
    line(head),
    ...rows.map(line),
  ];
}

async function inspectCatalogAdapter(id: string) {
  const { withBackend } = await import('../backend.ts');
  return withBackend((b) => b.dispatch('adapters:inspect', [id]) as Promise<AdapterInspection>);
}

export async function similarCommand(id: string, values: { top?: string; json?: boolean }): Promise<void> {
  const top = values.top ? int(values.top, '--top', 1) : 10;
  const { withBackend } = await import('../backend.ts');
  const found = await withBackend(async (b) => {
    const bar = progressBar('comparing diffs');
    const off = b.onEvent((e) => {
      if (e.type === 'similarity') bar.update(e.done, e.total, e.phase === 'reading' ? 'reading factors' : e.phase === 'comparing' ? 'comparing diffs' : 'placing');
    });
    try {
      return (await b.dispatch('adapters:similar', [id, top])) as SimilarAdapters;
    } finally {
      off();
      bar.done();
    }
  });
  if (values.json) return console.log(JSON.stringify(found));
  console.log(`nearest to ${found.id}${found.label ? ` (${found.label})` : ''} among ${found.compared} diffs of its base model, by the cosine of ΔW over all modules:`);
  const rows = found.nearest.map((n) => [n.cosine.toFixed(4), n.id, n.split ?? '-', n.label ?? '']);
  const head = ['COSINE', 'ID', 'SPLIT', 'LABEL'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const r of [head, ...rows]) console.log(r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd());
}

export async function exportCommand(values: { diff?: string[]; dit?: string; out: string; baseModel: string }): Promise<void> {
  const refs = [...(values.diff ?? []).map((d) => pathWithScale(d, '--diff')), ...(values.dit ? [pathWithScale(values.dit, '--dit')] : [])];
  if (refs.length === 0) throw new Error('nothing to export: give --diff and/or --dit');
  const rank = exportStackAsPeft(refs, values.out, values.baseModel);
  console.log(`wrote ${values.out}: one rank-${rank} PEFT adapter (${refs.map((r) => `${r.path} x${r.scale}`).join(' + ')})`);
}
