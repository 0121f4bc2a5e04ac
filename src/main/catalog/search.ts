// Full-text search over messages (FTS5, bm25 ranking). User text never reaches FTS5's query
// language: it is cut at whitespace and every piece becomes a quoted phrase, so quotes, NEAR(,
// *, -, ^, AND/OR/NOT and column filters are just text. All pieces must match (AND).
//
// Ranking is bounded so that a word in half of 100k messages ("the", "trained on") answers as
// fast as a rare one: bm25 orders the newest RANK_WINDOW matches. A query that matches fewer
// messages than that (nearly every real one, and any search within one conversation) is ranked
// over all its matches, exactly. Snippets are made for the returned rows only.
import type { Db } from './db.ts';
import type { Role } from './conversations.ts';

export interface SearchOptions {
  conversationId?: number;
  role?: Role;
  limit?: number; // default 50
  /**
   * The last word also matches as a prefix, for search-as-you-type (default false). Costs more:
   * FTS5 merges the postings of every word with that prefix (tens of ms for a short prefix over
   * 100k messages).
   */
  prefix?: boolean;
}

/** How many of the newest matches bm25 orders when a query matches more. */
export const RANK_WINDOW = 10_000;

/** A piece of a snippet: text, and whether it is a match to highlight. */
export interface SnippetPart {
  text: string;
  match: boolean;
}

export interface SearchHit {
  messageId: number;
  conversationId: number;
  conversationTitle: string;
  role: Role;
  snippet: SnippetPart[];
  createdAt: string;
  rank: number; // bm25: lower is better
}

// Control characters as highlight marks: they cannot collide with markup, and the caller gets
// parts, never HTML. Ellipsis where the snippet cuts the text; about 16 tokens of context.
const OPEN = '\u0002';
const CLOSE = '\u0003';
const SNIPPET = `snippet(messages_fts, 0, '${OPEN}', '${CLOSE}', '…', 16)`;

/**
 * The FTS5 MATCH expression for what a person typed, or null when it holds nothing searchable.
 * Each whitespace-separated piece with a letter or digit becomes a phrase ("don't" -> "don t",
 * which FTS5 tokenises like the text); `"` inside is doubled, FTS5's only escape in a string.
 */
export function ftsQuery(text: string, opts: { prefix?: boolean } = {}): string | null {
  const pieces = text.split(/\s+/u).filter((p) => /[\p{L}\p{N}]/u.test(p));
  if (pieces.length === 0) return null;
  const phrases = pieces.map((p) => `"${p.replaceAll('"', '""')}"`);
  if (opts.prefix) phrases[phrases.length - 1] += '*';
  return phrases.join(' ');
}

export function parseSnippet(s: string): SnippetPart[] {
  const parts: SnippetPart[] = [];
  for (const [i, piece] of s.split(new RegExp(`[${OPEN}${CLOSE}]`)).entries()) {
    if (piece !== '') parts.push({ text: piece, match: i % 2 === 1 });
  }
  return parts;
}

interface HitRow {
  message_id: number;
  conversation_id: number;
  conversation_title: string;
  role: Role;
  snippet: string;
  created_at: string;
  rank: number;
}

export function searchMessages(db: Db, text: string, opts: SearchOptions = {}): SearchHit[] {
  const match = ftsQuery(text, opts);
  if (match === null) return [];
  // hits: the newest RANK_WINDOW matches (FTS5 walks its postings by rowid, newest first, and
  // stops) with their bm25 rank; messages is joined only to filter, as the lookups cost as much
  // as the ranking. top: the best of those. Then snippets for top only: CROSS JOIN keeps top as
  // the outer loop, so each snippet is one rowid lookup, not a scan of every match.
  const filtered = opts.conversationId !== undefined || opts.role !== undefined;
  const hits = filtered
    ? `SELECT f.rowid AS id, f.rank AS rank FROM messages_fts f JOIN messages m ON m.id = f.rowid
       WHERE messages_fts MATCH @match
         AND ifnull(@conversationId, m.conversation_id) = m.conversation_id
         AND ifnull(@role, m.role) = m.role
       ORDER BY f.rowid DESC LIMIT @window`
    : 'SELECT rowid AS id, rank FROM messages_fts WHERE messages_fts MATCH @match ORDER BY rowid DESC LIMIT @window';
  const rows = db.all<HitRow>(
    `search messages for ${JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text)}`,
    `WITH hits AS (${hits}),
     top AS (SELECT id, rank FROM hits ORDER BY rank, id DESC LIMIT @limit)
     SELECT top.id AS message_id, m.conversation_id, c.title AS conversation_title, m.role, m.created_at,
            ${SNIPPET} AS snippet, top.rank AS rank
     FROM top
     CROSS JOIN messages_fts ON messages_fts.rowid = top.id AND messages_fts MATCH @match
     JOIN messages m ON m.id = top.id
     JOIN conversations c ON c.id = m.conversation_id
     ORDER BY top.rank, top.id DESC`,
    {
      match,
      limit: opts.limit ?? 50,
      window: RANK_WINDOW,
      ...(filtered ? { conversationId: opts.conversationId ?? null, role: opts.role ?? null } : {}),
    },
  );
  return rows.map((r) => ({
    messageId: r.message_id,
    conversationId: r.conversation_id,
    conversationTitle: r.conversation_title,
    role: r.role,
    snippet: parseSnippet(r.snippet),
    createdAt: r.created_at,
    rank: r.rank,
  }));
}

/**
 * Merges the search index into one segment. Writes leave it in many (FTS5 merges only some as it
 * goes), and a merged index answers about twice as fast. Takes ~0.25 s per 100k messages: for
 * idle time or after a large import, not for every write.
 */
export function optimizeSearch(db: Db): void {
  db.run('optimize search index', "INSERT INTO messages_fts (messages_fts) VALUES ('optimize')");
}
