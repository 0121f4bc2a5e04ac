// `diffscope eval export RUN_ID --format F --out FILE`: an eval run as a file (docs/export.md),
// among them an Inspect AI log (`--format inspect`, a .eval zip) that Inspect's log viewer opens.
import type { EvalExportFormat } from '../../../shared/api.ts';
import { exportEvalRun } from '../../services/export.ts';
import { int } from '../args.ts';
import { withBackend } from '../backend.ts';
import { writeExported } from './write-exported.ts';

export async function evalExportCommand(run: string, values: { format: EvalExportFormat; out: string }): Promise<void> {
  const file = await withBackend(async (b) => exportEvalRun(b.ctx, b.evals, int(run, 'RUN_ID', 0), values.format));
  writeExported(values.out, file);
  process.stderr.write(`wrote ${values.out} (${file.mime})\n`);
}
