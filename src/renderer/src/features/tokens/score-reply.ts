// The conditions a reply can be scored under in the chat: its own stack against the base model,
// or against its stack less one part (the DIT adapter, or the diff).
import type { RecordedStackEntry, ScoreCondition, StackEntry } from '../../../../shared/api.ts';
import { stackSummary } from '../chat/stack.ts';

export interface AgainstChoice {
  id: string;
  label: string;
  stack: StackEntry[];
}

const plain = (s: RecordedStackEntry): StackEntry => {
  const { sha256: _sha, ...rest } = s;
  return rest;
};

/** What a reply with this stack can be compared with. */
export function againstChoices(stack: RecordedStackEntry[] | null): AgainstChoice[] {
  const parts = (stack ?? []).map(plain);
  const choices: AgainstChoice[] = [{ id: 'base', label: 'Base model', stack: [] }];
  if (parts.length > 1) {
    for (const role of ['dit', 'diff'] as const) {
      const rest = parts.filter((p) => p.role !== role);
      if (rest.length > 0 && rest.length < parts.length) choices.push({ id: `no-${role}`, label: `Without the ${role === 'dit' ? 'DIT adapter' : 'diff'}`, stack: rest });
    }
  }
  return choices;
}

/** The reply's own stack first, then the one it is compared with. */
export function replyConditions(stack: RecordedStackEntry[] | null, against: AgainstChoice): [ScoreCondition, ScoreCondition] {
  const own = (stack ?? []).map(plain);
  const ownName = `This reply (${stackSummary(own)})`;
  return [
    { name: ownName, stack: own },
    { name: against.label === ownName ? `${against.label} (again)` : against.label, stack: against.stack },
  ];
}
