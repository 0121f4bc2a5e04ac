// A conversation as a sanitised, self-contained HTML page: the text of every message escaped and
// shown as text (never as markup), each reply with its provenance and grades.
import type { ConversationDoc, ExportedMessage } from './conversation-doc.ts';
import { escapeHtml as e, htmlPage } from './html.ts';
import { selectionSuffix } from '../stack-spec.ts';

/** Numbers too: the catalog is a file anyone could have edited. */
const v = (x: unknown) => e(String(x));

function provenance(doc: ConversationDoc, m: ExportedMessage): string {
  const items: string[] = [];
  const stack = (m.stack ?? []).map((s) => `${e(s.role)} <code>${e(s.adapterId)}</code> ×${v(s.scale)}${e(selectionSuffix(s))} (sha256 <code>${e(s.sha256.slice(0, 12))}…</code>)`);
  items.push(`stack: ${stack.length > 0 ? stack.join(' + ') : 'base model only'}`);
  if (m.sampling) {
    const s = m.sampling;
    items.push(`sampling: temperature ${v(s.temperature)}, top-k ${v(s.topK)}, top-p ${v(s.topP)}, repetition penalty ${v(s.repetitionPenalty)}, max tokens ${v(s.maxTokens)}, seed ${v(m.seed ?? '—')}`);
  }
  if (m.provider) items.push(`provider: ${e(m.provider)}${m.stats ? `, ${v(m.stats.completionTokens)} tokens at ${v(Number(m.stats.decodeTps).toFixed(1))} tok/s` : ''}`);
  if (m.status !== 'complete') items.push(`status: ${e(m.status)}${m.error ? ` (${e(m.error)})` : ''}`);
  for (const g of m.grades) {
    const who = g.method === 'judge' ? `judge ${e(g.judgeModel ?? '')}` : g.method === 'lexical' ? 'lexical score (offline)' : 'human';
    items.push(`grade, ${who}: <strong>${v(g.score)}/5</strong>${g.note ? ` — ${e(g.note)}` : ''}`);
  }
  const labels = (m.stack ?? []).map((s) => doc.adapters[s.adapterId]?.label).filter((l): l is string => !!l);
  if (labels.length > 0) items.push(`label: ${labels.map(e).join('; ')}`);
  if (m.reproduce) items.push(`reproduce: <code>${e(m.reproduce.command)}</code>${m.reproduce.exact ? '' : ` (${e(m.reproduce.why ?? '')})`}`);
  return `<div class="prov"><ul>${items.map((i) => `<li>${i}</li>`).join('')}</ul></div>`;
}

export function conversationHtml(doc: ConversationDoc): string {
  const c = doc.conversation;
  const model = doc.model ? `${e(doc.model.id)} (${e(doc.model.arch)}, ${e(doc.model.precision)}, sha256 <code>${e(doc.model.sourceSha256.slice(0, 16))}…</code>)` : e(c.modelId);
  const parts = [
    `<h1>${e(c.title || `Conversation ${c.id}`)}</h1>`,
    `<p class="meta">Base model ${model} · ${v(c.messageCount)} messages · exported ${e(doc.exportedAt)} by Diffscope</p>`,
  ];
  for (const m of doc.messages) {
    const who = m.role === 'user' ? 'Question' : m.role === 'assistant' ? 'Answer' : 'System';
    const reply = m.parentId !== null ? `, reply to #${v(m.parentId)}` : '';
    parts.push(
      `<section class="msg ${e(m.role)}" id="m${v(m.id)}">`,
      `<div class="who">${who} #${v(m.id)}${reply}</div>`,
      `<div class="text">${e(m.text)}</div>`,
      m.role === 'assistant' ? provenance(doc, m) : '',
      '</section>',
    );
  }
  return htmlPage(c.title || `Conversation ${c.id}`, parts.join('\n'));
}
