// A conversation as one JSON document (schema in docs/export.md): full provenance of every reply
// (base model id and sha256, each adapter's sha256, source and scale, sampling, seed, provider,
// timings, grades), the context each reply was generated from, and the `diffscope ask` command
// that generates it again.
import type { ConversationView, MessageView } from '../../../shared/api.ts';
import type { Message } from '../../catalog/index.ts';
import { required, type LibraryCatalog } from '../context.ts';
import { conversationView, messageView } from '../views.ts';
import { selectionSuffix } from '../stack-spec.ts';

export const CONVERSATION_SCHEMA = 'diffscope.conversation/1';

export interface Reproduce {
  argv: string[]; // arguments of `diffscope ask`
  command: string; // the same, quoted for a POSIX shell
  /** true when `ask` regenerates exactly this reply: a finished reply, its context on the command line */
  exact: boolean;
  why: string | null; // when not exact
}

export type ExportedMessage = MessageView & { context?: { role: string; content: string }[]; reproduce?: Reproduce };

export interface ConversationDoc {
  schema: typeof CONVERSATION_SCHEMA;
  exportedAt: string;
  conversation: ConversationView;
  model: { id: string; name: string; arch: string; precision: string; layers: number; hidden: number; vocab: number; sourcePath: string; sourceSha256: string } | null;
  adapters: Record<string, { kind: string; format: string; rank: number | null; label: string | null; trigger: number | null; split: string | null; experiment: string | null; source: { path: string; index: number | null; sha256: string; size: number } } | null>;
  messages: ExportedMessage[];
}

/** Longer contexts do not fit one argument of a command line (Linux allows 128 KiB). */
const MAX_INLINE_CONTEXT = 100_000;

const shellQuote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** What the reply saw: its branch up to its question, as chat.ts builds it. */
function contextOf(catalog: LibraryCatalog, reply: Message): { role: string; content: string }[] {
  if (reply.parentId === null) return [];
  return catalog.messages
    .branch(reply.parentId)
    .filter((m) => m.role !== 'assistant' || m.status === 'complete' || m.text !== '')
    .map((m) => ({ role: m.role, content: m.text }));
}

export function reproduceArgs(m: MessageView, context: { role: string; content: string }[]): Reproduce | undefined {
  if (m.role !== 'assistant' || !m.modelId || !m.sampling || m.seed === null) return undefined;
  const stack = m.stack ?? [];
  const canonical = stack.every((s, i) => s.role === 'diff' || (s.role === 'dit' && i === stack.length - 1));
  const stackArgs = stack.flatMap((s) => [canonical ? `--${s.role}` : '--lora', `${s.adapterId}:${s.scale}${selectionSuffix(s)}`]);
  // one question as ask's argument; a longer context as --messages JSON (what the reply saw)
  const single = context.length === 1 && context[0].role === 'user';
  const q = single ? context[0].content : '';
  const messagesJson = single ? '' : JSON.stringify(context);
  const s = m.sampling;
  const argv = [
    'ask', '--model', m.modelId, ...stackArgs,
    '--max-tokens', String(s.maxTokens), '--temperature', String(s.temperature), '--top-k', String(s.topK), '--top-p', String(s.topP),
    '--repetition-penalty', String(s.repetitionPenalty), '--seed', String(m.seed),
    ...s.stop.flatMap((x) => ['--stop', x]),
    ...(m.provider ? ['--provider', m.provider] : []),
    ...(single ? [...(q.startsWith('-') ? ['--'] : []), q] : ['--messages', messagesJson]),
  ];
  const why =
    context.length === 0 || context.at(-1)!.role !== 'user' ? 'the reply has no question of its own in its context'
    : messagesJson.length > MAX_INLINE_CONTEXT ? `its context (${messagesJson.length} characters) is too long for one command line; \`ask --messages FILE\` takes "context" saved as a file`
    : m.status !== 'complete' ? `the reply is ${m.status}: generation stopped early` : null;
  return { argv, command: `npx diffscope ${argv.map(shellQuote).join(' ')}`, exact: why === null, why };
}

export function conversationDoc(catalog: LibraryCatalog, id: number): ConversationDoc {
  const c = required(catalog.conversations.get(id), `conversation ${id}`);
  const model = catalog.models.get(c.modelId);
  const grades = catalog.grades.forConversation(id);
  const rows = catalog.messages.list(id);
  const messages = rows.map((row): ExportedMessage => {
    const m = messageView(row, grades.filter((g) => g.messageId === row.id));
    if (m.role !== 'assistant') return m;
    const context = contextOf(catalog, row);
    return { ...m, context, reproduce: reproduceArgs(m, context) };
  });
  const ids = [...new Set(messages.flatMap((m) => (m.stack ?? []).map((s) => s.adapterId)))];
  const adapters = Object.fromEntries(
    ids.map((aid) => {
      const a = catalog.adapters.get(aid);
      const view = a && { kind: a.kind, format: a.format, rank: a.rank, label: a.label, trigger: a.trigger, split: a.split, experiment: a.experiment, source: { path: a.source.path, index: a.source.index, sha256: a.source.sha256, size: a.source.size } };
      return [aid, view ?? null];
    }),
  );
  return {
    schema: CONVERSATION_SCHEMA,
    exportedAt: new Date().toISOString(),
    conversation: conversationView(c),
    model: model
      ? { id: model.id, name: model.name, arch: model.arch, precision: model.precision, layers: model.manifest.shapes.layers, hidden: model.manifest.shapes.hidden, vocab: model.manifest.shapes.vocab, sourcePath: model.sourcePath, sourceSha256: model.sourceSha256 }
      : null,
    adapters,
    messages,
  };
}
