// A comparison is one "Ask all": a conversation per condition, titled "Compare <n> · <condition>"
// so that the sidebar shows the comparison as one entry that opens to its conversations.
import type { ConversationView } from '../../../../shared/api.ts';

const TITLE = /^Compare (\d+) · (.+)$/;

export const compareTitle = (n: number, condition: string) => `Compare ${n} · ${condition}`;

/** The number of the next comparison: one past the highest in the catalog. */
export function nextCompareNumber(conversations: readonly Pick<ConversationView, 'title'>[]): number {
  let max = 0;
  for (const c of conversations) {
    const m = TITLE.exec(c.title);
    if (m) max = Math.max(max, Number(m[1]));
  }
  return max + 1;
}

export type ConversationEntry =
  | { kind: 'conversation'; conversation: ConversationView }
  | { kind: 'comparison'; n: number; conversations: { conversation: ConversationView; condition: string }[]; updatedAt: string };

/** Conversations newest first, the conversations of one comparison together as one entry. */
export function groupConversations(conversations: readonly ConversationView[]): ConversationEntry[] {
  const sorted = [...conversations].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
  const entries: ConversationEntry[] = [];
  const comparisons = new Map<number, Extract<ConversationEntry, { kind: 'comparison' }>>();
  for (const conversation of sorted) {
    const m = TITLE.exec(conversation.title);
    if (!m) {
      entries.push({ kind: 'conversation', conversation });
      continue;
    }
    const n = Number(m[1]);
    let entry = comparisons.get(n);
    if (!entry) {
      entry = { kind: 'comparison', n, conversations: [], updatedAt: conversation.updatedAt };
      comparisons.set(n, entry);
      entries.push(entry);
    }
    entry.conversations.push({ conversation, condition: m[2]! });
  }
  for (const entry of comparisons.values()) entry.conversations.sort((a, b) => a.conversation.id - b.conversation.id);
  return entries;
}
