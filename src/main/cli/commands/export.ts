// `diffscope export`: a conversation (md, json, html, jsonl), every conversation as JSONL, or an
// eval run (csv, json, md, html, inspect), to stdout or --out FILE. Formats: docs/export.md.
import type { EvalExportFormat, ExportedFile, ExportFormat } from '../../../shared/api.ts';
import { exportConversation, exportConversations, exportEvalRun } from '../../services/export.ts';
import { int } from '../args.ts';
import { withBackend } from '../backend.ts';
import { printExported, writeExported } from './write-exported.ts';

const CONVERSATION_FORMATS: ExportFormat[] = ['md', 'json', 'html', 'jsonl'];
const EVAL_FORMATS: EvalExportFormat[] = ['csv', 'json', 'md', 'html', 'inspect'];

export async function exportCommand(conversation: string | undefined, values: { format?: string; out?: string; all?: boolean; eval?: string }): Promise<void> {
  const file = await withBackend(async (b): Promise<ExportedFile> => {
    if (values.eval !== undefined) {
      const format = (values.format ?? 'md') as EvalExportFormat;
      if (!EVAL_FORMATS.includes(format)) throw new Error(`--format ${format}: an eval run exports as ${EVAL_FORMATS.join(', ')}`);
      return exportEvalRun(b.ctx, b.evals, int(values.eval, '--eval', 0), format);
    }
    if (values.all) {
      if (values.format && values.format !== 'jsonl') throw new Error('--all exports JSONL (one conversation per line)');
      return exportConversations(b.ctx, null);
    }
    if (conversation === undefined) throw new Error('export takes one CONVERSATION_ID (see `diffscope conversations`), or --all, or --eval RUN_ID');
    const format = (values.format ?? 'md') as ExportFormat;
    if (!CONVERSATION_FORMATS.includes(format)) throw new Error(`--format ${format}: a conversation exports as ${CONVERSATION_FORMATS.join(', ')}`);
    return exportConversation(b.ctx, int(conversation, 'CONVERSATION_ID', 0), format);
  });
  if (values.out) {
    writeExported(values.out, file);
    process.stderr.write(`wrote ${values.out} (${file.mime})\n`);
  } else {
    printExported(file);
  }
}
