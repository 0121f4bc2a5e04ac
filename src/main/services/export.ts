// A conversation as Markdown or JSON with full provenance: base model id and sha256, each
// adapter's sha256 and scale, sampling, seed, provider, grades. JSON carries everything needed to
// reproduce each reply with `diffscope ask`.
import type { ExportedFile, ExportFormat } from '../../shared/api.ts';
import { required, type Ctx } from './context.ts';
import { conversationView, messageView } from './views.ts';

export const EXPORT_SCHEMA = 'diffscope.conversation/1';

export function exportConversation(ctx: Ctx, id: number, format: ExportFormat): ExportedFile {
  const { catalog } = ctx;
  const c = required(catalog.conversations.get(id), `conversation ${id}`);
  const model = catalog.models.get(c.modelId);
  const messages = catalog.messages.list(id).map((m) => messageView(m, catalog.grades.forMessage(m.id)));
  const adapters = Object.fromEntries(
    [...new Set(messages.flatMap((m) => (m.stack ?? []).map((s) => s.adapterId)))].map((aid) => {
      const a = catalog.adapters.get(aid);
      return [aid, a ? { kind: a.kind, format: a.format, rank: a.rank, label: a.label, trigger: a.trigger, source: a.source } : null];
    }),
  );
  const base = `conversation-${id}`;
  if (format === 'json') {
    const doc = {
      schema: EXPORT_SCHEMA,
      exportedAt: new Date().toISOString(),
      conversation: conversationView(c),
      model: model ? { id: model.id, name: model.name, arch: model.arch, precision: model.precision, sourceSha256: model.sourceSha256, sourcePath: model.sourcePath } : null,
      adapters,
      messages,
    };
    return { filename: `${base}.json`, mime: 'application/json', content: JSON.stringify(doc, null, 2) };
  }
  const lines = [`# ${c.title}`, '', `Model: ${c.modelId}${model ? ` (sha256 ${model.sourceSha256})` : ''}`, ''];
  for (const m of messages) {
    lines.push(`## ${m.role === 'user' ? 'Question' : 'Answer'} (#${m.id}${m.parentId ? `, reply to #${m.parentId}` : ''})`, '', m.text, '');
    if (m.role === 'assistant') {
      const stack = (m.stack ?? []).map((s) => `${s.role} ${s.adapterId} x${s.scale} (sha256 ${s.sha256.slice(0, 12)}…)`).join(' + ') || 'base model only';
      lines.push(`- stack: ${stack}`);
      if (m.sampling) lines.push(`- sampling: temperature ${m.sampling.temperature}, top-k ${m.sampling.topK}, top-p ${m.sampling.topP}, max tokens ${m.sampling.maxTokens}, seed ${m.seed}`);
      if (m.provider) lines.push(`- provider: ${m.provider}${m.stats ? `, ${m.stats.decodeTps.toFixed(1)} tok/s` : ''}`);
      for (const g of m.grades) lines.push(`- grade (${g.method}${g.judgeModel ? ` ${g.judgeModel}` : ''}): ${g.score}/5${g.note ? ` — ${g.note}` : ''}`);
      lines.push('');
    }
  }
  return { filename: `${base}.md`, mime: 'text/markdown', content: lines.join('\n') };
}
