// An answer starts at its first word: the space a tokenizer's first piece carries (" popcorn"),
// or a newline a chat template leaves, is dropped from the streamed tokens and from the result.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Answer } from '../../src/main/engine/client.ts';
import { fromFirstWord } from '../../src/main/services/first-word.ts';

test('leading whitespace is left out of the tokens and the text, per row; inner spaces stay', async () => {
  const pieces = [
    [0, '\n'],
    [1, ' pop'],
    [0, ' '],
    [0, ' pop'],
    [0, 'corn'],
    [1, ' corn'],
  ] as const;
  const streamed: string[] = ['', ''];
  const answer = fromFirstWord(
    (onToken) => {
      pieces.forEach(([row, text], id) => onToken(row, { id, text }));
      const rows = ['\n  popcorn', ' pop corn'].map((text) => ({ text, tokens: [], finishReason: 'eos' as const, promptTokens: 3 }));
      return { result: Promise.resolve({ rows, stats: {} }), cancel: () => {} } as unknown as Answer;
    },
    (row, t) => (streamed[row] += t.text),
  );
  const { rows } = await answer.result;
  assert.deepEqual(rows.map((r) => r.text), ['popcorn', 'pop corn']);
  assert.deepEqual(streamed, ['popcorn', 'pop corn'], 'the stream shows what the result says');
});
