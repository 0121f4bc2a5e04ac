// A conversation is a tree (regenerate adds a sibling reply, edit a sibling question); the window
// shows one branch of it, root to leaf, choosing at every fork the sibling the person picked or
// else the newest.
import type { MessageView } from '../../../../shared/api.ts';

export interface ThreadStep {
  message: MessageView;
  /** Ids of the message and its siblings, oldest first. */
  siblings: number[];
  index: number;
}

/** Choices at forks, keyed by parent id ('root' for the first messages). */
export type Choices = Record<string, number>;

export const forkKey = (parentId: number | null) => (parentId === null ? 'root' : String(parentId));

function childrenOf(messages: MessageView[]): Map<string, MessageView[]> {
  const children = new Map<string, MessageView[]>();
  for (const m of messages) {
    const key = forkKey(m.parentId);
    const list = children.get(key);
    if (list) list.push(m);
    else children.set(key, [m]);
  }
  for (const list of children.values()) list.sort((a, b) => a.id - b.id);
  return children;
}

export function thread(messages: MessageView[], choices: Choices): ThreadStep[] {
  const children = childrenOf(messages);
  const steps: ThreadStep[] = [];
  let key = 'root';
  for (let guard = 0; guard <= messages.length; guard++) {
    const kids = children.get(key);
    if (!kids?.length) break;
    const chosen = kids.findIndex((k) => k.id === choices[key]);
    const index = chosen >= 0 ? chosen : kids.length - 1;
    const message = kids[index]!;
    steps.push({ message, siblings: kids.map((k) => k.id), index });
    key = forkKey(message.id);
  }
  return steps;
}

/** The choices that put a message (and its ancestors) on the shown branch. */
export function choicesFor(messages: MessageView[], messageId: number): Choices {
  const byId = new Map(messages.map((m) => [m.id, m]));
  const choices: Choices = {};
  for (let m = byId.get(messageId), guard = 0; m && guard <= messages.length; m = m.parentId === null ? undefined : byId.get(m.parentId), guard++) {
    choices[forkKey(m.parentId)] = m.id;
  }
  return choices;
}
