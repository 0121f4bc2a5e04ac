// An answer starts at its first word. A tokenizer's first piece often carries the space before a
// word (" popcorn"), and a chat template can leave a newline before the reply: shown, exported or
// printed as JSON, that whitespace is not part of what the model said. Raw completions (a prompt
// continued as is) keep it: there the space joins the answer to the prompt.
import type { Answer } from '../engine/client.ts';

type OnToken = (row: number, t: { id: number; text: string }) => void;

/** Starts an answer through `start`, with each row's leading whitespace left out of its tokens' text and its result. */
export function fromFirstWord(start: (onToken: OnToken) => Answer, onToken: OnToken): Answer {
  const begun = new Set<number>();
  const answer = start((row, t) => {
    if (begun.has(row)) return onToken(row, t);
    const text = t.text.replace(/^\s+/, '');
    if (text) begun.add(row);
    onToken(row, { ...t, text });
  });
  return {
    ...answer,
    result: answer.result.then((r) => ({ ...r, rows: r.rows.map((row) => ({ ...row, text: row.text.replace(/^\s+/, '') })) })),
  };
}
