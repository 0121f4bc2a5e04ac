// Conversations and their messages. A conversation is a tree of messages: regenerate adds a
// sibling reply (same parent), edit-and-resend a sibling user message; what the window shows is
// one branch, root to leaf. A reply is inserted as 'streaming' before its first token and finished
// at the end, so a crash leaves a marked reply (markInterrupted), never a missing or torn one.
import { CatalogError, fromJson, toJson, type Db } from './db.ts';
import type { FinishReason, RecordedStackEntry, SamplingSettings } from '../../shared/api.ts';

export type Role = 'user' | 'assistant' | 'system';
export type MessageStatus = 'complete' | 'streaming' | 'incomplete' | 'error';

export type { RecordedStackEntry } from '../../shared/api.ts';


export interface ReplyStats {
  promptTokens: number;
  completionTokens: number;
  ttftMs: number;
  promptTps: number;
  decodeTps: number;
}

export interface Conversation {
  id: number;
  title: string;
  modelId: string;
  stack: RecordedStackEntry[]; // what the next turn starts with
  messageCount: number;
  createdAt: string;
  updatedAt: string; // time of the last message
}

export interface Message {
  id: number;
  conversationId: number;
  parentId: number | null;
  role: Role;
  text: string;
  status: MessageStatus;
  error: string | null;
  modelId: string | null;
  stack: RecordedStackEntry[] | null;
  sampling: Omit<SamplingSettings, 'seed'> | null; // the seed is stored beside them (the drawn one when none was set)
  seed: number | null;
  provider: string | null;
  finishReason: FinishReason | null;
  stats: ReplyStats | null;
  createdAt: string;
}

export interface NewMessage {
  conversationId: number;
  parentId?: number | null;
  role: Role;
  text?: string;
  status?: MessageStatus;
  error?: string;
  modelId?: string;
  stack?: RecordedStackEntry[];
  sampling?: Omit<SamplingSettings, 'seed'>;
  seed?: number;
  provider?: string;
}

/** How a streamed reply ended. */
export interface ReplyEnd {
  text: string;
  status: 'complete' | 'incomplete' | 'error';
  error?: string;
  finishReason?: FinishReason;
  stats?: ReplyStats;
  provider?: string;
}

interface ConversationRow {
  id: number;
  title: string;
  model_id: string;
  stack: string;
  message_count: number;
  created_at: string;
  updated_at: string;
}

interface MessageRow {
  id: number;
  conversation_id: number;
  parent_id: number | null;
  role: Role;
  text: string;
  status: MessageStatus;
  error: string | null;
  model_id: string | null;
  stack: string | null;
  sampling: string | null;
  seed: number | null;
  provider: string | null;
  finish_reason: FinishReason | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  ttft_ms: number | null;
  prompt_tps: number | null;
  decode_tps: number | null;
  created_at: string;
}

const SELECT_CONVERSATION = `SELECT c.*, (SELECT count(*) FROM messages WHERE conversation_id = c.id) AS message_count FROM conversations c`;

const toConversation = (r: ConversationRow): Conversation => ({
  id: r.id,
  title: r.title,
  modelId: r.model_id,
  stack: JSON.parse(r.stack) as RecordedStackEntry[],
  messageCount: r.message_count,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const toMessage = (r: MessageRow): Message => ({
  id: r.id,
  conversationId: r.conversation_id,
  parentId: r.parent_id,
  role: r.role,
  text: r.text,
  status: r.status,
  error: r.error,
  modelId: r.model_id,
  stack: fromJson<RecordedStackEntry[]>(r.stack),
  sampling: fromJson<Omit<SamplingSettings, 'seed'>>(r.sampling),
  seed: r.seed,
  provider: r.provider,
  finishReason: r.finish_reason,
  stats:
    r.prompt_tokens === null
      ? null
      : {
          promptTokens: r.prompt_tokens,
          completionTokens: r.completion_tokens ?? 0,
          ttftMs: r.ttft_ms ?? 0,
          promptTps: r.prompt_tps ?? 0,
          decodeTps: r.decode_tps ?? 0,
        },
  createdAt: r.created_at,
});

export function conversationStore(db: Db) {
  const store = {
    create(c: { modelId: string; title?: string; stack?: RecordedStackEntry[] }): Conversation {
      const { lastId } = db.run(
        `create conversation with model '${c.modelId}'`,
        'INSERT INTO conversations (title, model_id, stack) VALUES (?, ?, ?)',
        [c.title ?? '', c.modelId, JSON.stringify(c.stack ?? [])],
      );
      return store.get(lastId)!;
    },

    get(id: number): Conversation | undefined {
      const row = db.get<ConversationRow>(`get conversation ${id}`, `${SELECT_CONVERSATION} WHERE c.id = ?`, [id]);
      return row && toConversation(row);
    },

    /** Most recently active first. */
    list(page: { limit?: number; offset?: number } = {}): Conversation[] {
      return db
        .all<ConversationRow>('list conversations', `${SELECT_CONVERSATION} ORDER BY c.updated_at DESC, c.id DESC LIMIT ? OFFSET ?`, [
          page.limit ?? -1,
          page.offset ?? 0,
        ])
        .map(toConversation);
    },

    update(id: number, patch: { title?: string; modelId?: string; stack?: RecordedStackEntry[] }): Conversation {
      const { changes } = db.run(
        `update conversation ${id}`,
        `UPDATE conversations SET title = ifnull(@title, title), model_id = ifnull(@modelId, model_id),
           stack = ifnull(@stack, stack) WHERE id = @id`,
        { id, title: patch.title ?? null, modelId: patch.modelId ?? null, stack: toJson(patch.stack) },
      );
      if (changes === 0) throw new CatalogError(`update conversation ${id}: no such conversation`);
      return store.get(id)!;
    },

    /** Deletes its messages and their grades too. */
    remove(id: number): boolean {
      return db.run(`remove conversation ${id}`, 'DELETE FROM conversations WHERE id = ?', [id]).changes > 0;
    },
  };
  return store;
}

export function messageStore(db: Db) {
  const store = {
    add(m: NewMessage): Message {
      const row = db.get<MessageRow>(
        `add ${m.role} message to conversation ${m.conversationId}`,
        `INSERT INTO messages (conversation_id, parent_id, role, text, status, error, model_id, stack, sampling, seed, provider)
         VALUES (@conversationId, @parentId, @role, @text, @status, @error, @modelId, @stack, @sampling, @seed, @provider)
         RETURNING *`,
        {
          conversationId: m.conversationId,
          parentId: m.parentId ?? null,
          role: m.role,
          text: m.text ?? '',
          status: m.status ?? 'complete',
          error: m.error ?? null,
          modelId: m.modelId ?? null,
          stack: toJson(m.stack),
          sampling: toJson(m.sampling),
          seed: m.seed ?? null,
          provider: m.provider ?? null,
        },
      );
      return toMessage(row!);
    },

    /** An assistant reply about to be generated: empty, 'streaming', with its full provenance. */
    startReply(m: Omit<NewMessage, 'role' | 'status' | 'text' | 'error'> & { parentId: number }): Message {
      return store.add({ ...m, role: 'assistant', status: 'streaming', text: '' });
    },

    /** Flushes the text streamed so far, so a crash keeps it (as 'incomplete'). */
    saveProgress(id: number, text: string): void {
      const { changes } = db.run(`save progress of reply ${id}`, "UPDATE messages SET text = ? WHERE id = ? AND status = 'streaming'", [text, id]);
      if (changes === 0) throw new CatalogError(`save progress of reply ${id}: no such streaming reply`);
    },

    finish(id: number, end: ReplyEnd): Message {
      const row = db.get<MessageRow>(
        `finish reply ${id}`,
        `UPDATE messages SET text = @text, status = @status, error = @error, finish_reason = @finishReason,
           provider = ifnull(@provider, provider), prompt_tokens = @promptTokens, completion_tokens = @completionTokens,
           ttft_ms = @ttftMs, prompt_tps = @promptTps, decode_tps = @decodeTps
         WHERE id = @id AND status = 'streaming' RETURNING *`,
        {
          id,
          text: end.text,
          status: end.status,
          error: end.error ?? null,
          finishReason: end.finishReason ?? null,
          provider: end.provider ?? null,
          promptTokens: end.stats?.promptTokens ?? null,
          completionTokens: end.stats?.completionTokens ?? null,
          ttftMs: end.stats?.ttftMs ?? null,
          promptTps: end.stats?.promptTps ?? null,
          decodeTps: end.stats?.decodeTps ?? null,
        },
      );
      if (!row) throw new CatalogError(`finish reply ${id}: no such streaming reply`);
      return toMessage(row);
    },

    /** Replies left 'streaming' by a process that died become 'incomplete'. Returns how many. */
    markInterrupted(): number {
      return db.run('mark interrupted replies', "UPDATE messages SET status = 'incomplete' WHERE status = 'streaming'").changes;
    },

    get(id: number): Message | undefined {
      const row = db.get<MessageRow>(`get message ${id}`, 'SELECT * FROM messages WHERE id = ?', [id]);
      return row && toMessage(row);
    },

    /** Every message of the conversation, all branches, oldest first. */
    list(conversationId: number): Message[] {
      return db
        .all<MessageRow>(`list messages of conversation ${conversationId}`, 'SELECT * FROM messages WHERE conversation_id = ? ORDER BY id', [conversationId])
        .map(toMessage);
    },

    children(id: number): Message[] {
      return db
        .all<MessageRow>(
          `list replies to message ${id}`,
          `SELECT c.* FROM messages p JOIN messages c ON c.conversation_id = p.conversation_id AND c.parent_id = p.id
           WHERE p.id = ? ORDER BY c.id`,
          [id],
        )
        .map(toMessage);
    },

    /** The message and its alternatives (same parent), oldest first: what "< 2/3 >" pages through. */
    siblings(id: number): Message[] {
      return db
        .all<MessageRow>(
          `list siblings of message ${id}`,
          `SELECT s.* FROM messages m JOIN messages s ON s.conversation_id = m.conversation_id AND s.parent_id IS m.parent_id
           WHERE m.id = ? ORDER BY s.id`,
          [id],
        )
        .map(toMessage);
    },

    /** The path from the root to `leafId`, root first: the context of a turn, and what is shown. */
    branch(leafId: number): Message[] {
      return db
        .all<MessageRow>(
          `read branch ending at message ${leafId}`,
          `WITH RECURSIVE path (id, depth) AS (
             SELECT ?, 0
             UNION ALL
             SELECT m.parent_id, path.depth + 1 FROM path JOIN messages m ON m.id = path.id WHERE m.parent_id IS NOT NULL
           )
           SELECT m.* FROM path JOIN messages m ON m.id = path.id ORDER BY path.depth DESC`,
          [leafId],
        )
        .map(toMessage);
    },

    /** The newest message (always a leaf: replies are newer than what they answer). */
    latestLeaf(conversationId: number): Message | undefined {
      const row = db.get<MessageRow>(
        `find latest message of conversation ${conversationId}`,
        'SELECT * FROM messages WHERE conversation_id = ? ORDER BY id DESC LIMIT 1',
        [conversationId],
      );
      return row && toMessage(row);
    },

    /** Deletes the message, every reply below it, and their grades. */
    remove(id: number): boolean {
      return db.run(`remove message ${id}`, 'DELETE FROM messages WHERE id = ?', [id]).changes > 0;
    },
  };
  return store;
}
