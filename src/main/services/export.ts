// Exports (docs/export.md): a conversation as Markdown, JSON (documented schema, full provenance,
// the `diffscope ask` command of each reply), sanitised self-contained HTML (print styles for PDF;
// in the app, Electron's webContents.printToPDF over this HTML is the PDF export) or one JSONL
// line; many conversations as JSONL; an eval run as CSV, JSON, a Markdown/HTML report, or an
// Inspect AI log (.eval zip, base64 in the API).
import type { EvalExportFormat, ExportedFile, ExportFormat } from '../../shared/api.ts';
import type { Ctx } from './context.ts';
import { CONVERSATION_SCHEMA, conversationDoc, type ConversationDoc } from './export/conversation-doc.ts';
import { conversationHtml } from './export/conversation-html.ts';
import { evalCsv, evalHtml, evalJson, evalMarkdown, type EvalProvenance } from './export/eval-report.ts';
import { inspectEvalFile, inspectLog } from './export/inspect-log.ts';
import { projectVersion } from '../paths.ts';
import type { EvalService } from './eval/service.ts';
import { mdCode, mdLine, mdText } from './export/markdown-text.ts';
import { selectionSuffix } from './stack-spec.ts';

export const EXPORT_SCHEMA = CONVERSATION_SCHEMA;

function markdown(doc: ConversationDoc): string {
  const c = doc.conversation;
  const model = doc.model;
  const lines = [`# ${mdLine(c.title)}`, '', `Model: ${mdLine(c.modelId)}${model ? ` (sha256 ${model.sourceSha256})` : ''}`, ''];
  for (const m of doc.messages) {
    // A tokenizer's first piece often carries the space before a word (" popcorn"): not part of the answer.
    const text = m.role === 'assistant' ? m.text.replace(/^\s+/, '') : m.text;
    lines.push(`## ${m.role === 'user' ? 'Question' : 'Answer'} (#${m.id}${m.parentId ? `, reply to #${m.parentId}` : ''})`, '', mdText(text), '');
    if (m.role !== 'assistant') continue;
    const stack = (m.stack ?? []).map((s) => `${s.role} ${mdLine(s.adapterId)} x${s.scale}${mdLine(selectionSuffix(s))} (sha256 ${s.sha256.slice(0, 12)}…)`).join(' + ') || 'base model only';
    lines.push(`- stack: ${stack}`);
    // What the diff is known to teach, as the HTML export says it.
    const labels = (m.stack ?? []).map((s) => doc.adapters[s.adapterId]?.label).filter((l): l is string => !!l);
    if (labels.length > 0) lines.push(`- label: ${labels.map(mdLine).join('; ')}`);
    if (m.sampling) lines.push(`- sampling: temperature ${m.sampling.temperature}, top-k ${m.sampling.topK}, top-p ${m.sampling.topP}, max tokens ${m.sampling.maxTokens}, seed ${m.seed}`);
    if (m.provider) lines.push(`- provider: ${m.provider}${m.stats ? `, ${m.stats.decodeTps.toFixed(1)} tok/s` : ''}`);
    for (const g of m.grades) lines.push(`- grade (${g.method}${g.judgeModel ? ` ${mdLine(g.judgeModel)}` : ''}): ${g.score}/5${g.note ? ` — ${mdLine(g.note)}` : ''}`);
    if (m.reproduce) lines.push(`- reproduce: ${mdCode(m.reproduce.command)}${m.reproduce.exact ? '' : ` (${mdLine(m.reproduce.why ?? '')})`}`);
    lines.push('');
  }
  return lines.join('\n');
}

export function exportConversation(ctx: Ctx, id: number, format: ExportFormat): ExportedFile {
  const doc = conversationDoc(ctx.catalog, id);
  const base = `conversation-${id}`;
  switch (format) {
    case 'json':
      return { filename: `${base}.json`, mime: 'application/json', content: JSON.stringify(doc, null, 2) };
    case 'jsonl':
      return { filename: `${base}.jsonl`, mime: 'application/x-ndjson', content: `${JSON.stringify(doc)}\n` };
    case 'html':
      return { filename: `${base}.html`, mime: 'text/html', content: conversationHtml(doc) };
    case 'md':
      return { filename: `${base}.md`, mime: 'text/markdown', content: markdown(doc) };
  }
}

/** One conversation document per line; null: every conversation, oldest first. */
export function exportConversations(ctx: Ctx, ids: number[] | null): ExportedFile {
  const all = ids ?? ctx.catalog.conversations.list().map((c) => c.id).sort((a, b) => a - b);
  const content = all.map((id) => JSON.stringify(conversationDoc(ctx.catalog, id))).join('\n');
  return { filename: 'conversations.jsonl', mime: 'application/x-ndjson', content: all.length > 0 ? `${content}\n` : '' };
}

export function exportEvalRun(ctx: Ctx, evals: EvalService, id: number, format: EvalExportFormat): ExportedFile {
  const results = evals.results(id);
  const items = evals.items(id, {});
  const model = ctx.catalog.models.get(results.run.modelId);
  const dit = results.run.ditAdapterId ? ctx.catalog.adapters.get(results.run.ditAdapterId) : undefined;
  const prov: EvalProvenance = {
    model: model ? { id: model.id, sourceSha256: model.sourceSha256 } : null,
    ditAdapter: dit ? { id: dit.id, sha256: dit.source.sha256 } : null,
  };
  const base = `eval-${id}`;
  switch (format) {
    case 'csv':
      return { filename: `${base}.csv`, mime: 'text/csv', content: evalCsv(items) };
    case 'json':
      return { filename: `${base}.json`, mime: 'application/json', content: evalJson(results, items, prov) };
    case 'md':
      return { filename: `${base}.md`, mime: 'text/markdown', content: evalMarkdown(results, items, prov) };
    case 'html':
      return { filename: `${base}.html`, mime: 'text/html', content: evalHtml(results, items, prov) };
    case 'inspect':
      return { filename: `${base}.eval`, mime: 'application/zip', encoding: 'base64', content: inspectEvalFile(inspectLog(results, items, prov, projectVersion())).toString('base64') };
  }
}
