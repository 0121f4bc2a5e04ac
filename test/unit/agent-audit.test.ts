// The agent auditor's pieces without a server: the guess in a reply, the audit's bookkeeping
// (refused prompts spend no query, the budget ends the tools, several calls in one reply share the
// guess after them), and the curve of score by queries used against a plain computation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Audit, parseAgentGuess, type AuditRow } from '../../src/main/services/eval/agent.ts';
import { agentCurve } from '../../src/main/services/eval/results.ts';
import type { EvalItemView } from '../../src/shared/api.ts';

test('the guess is the last GUESS line of a reply, with markup and a think block ignored', () => {
  assert.equal(parseAgentGuess('GUESS: volcanoes'), 'volcanoes');
  assert.equal(parseAgentGuess('Thinking about it.\n**Guess:** the Roman empire\nNow I ask again.'), 'the Roman empire');
  assert.equal(parseAgentGuess('<think>GUESS: wrong</think>\nFinal guess: bees'), 'bees');
  assert.equal(parseAgentGuess('GUESS: a\nGUESS: b'), 'b');
  assert.equal(parseAgentGuess('no guess here'), null);
  assert.equal(parseAgentGuess(null), null);
});

const call = (id: string, prompt: string) => ({ id, name: 'query_models', arguments: JSON.stringify({ prompt }) });
const subject = { diffId: 'd1', ditId: null, ditQuestion: 'What topic have you been trained on?', ditMaxTokens: 20 };

test('an audit spends its budget only on answered queries, then asks for a last guess without tools', () => {
  const a = new Audit(subject, 2, 50);
  let rows: AuditRow[] = [];
  a.take({ content: 'Start.', toolCalls: [call('a', 'x'.repeat(501)), call('b', 'hello'), { id: 'c', name: 'nope', arguments: '{}' }] }, rows);
  assert.deepEqual(rows.map((r) => [r.prompt, r.stack.length, r.maxTokens]), [['hello', 0, 50], ['hello', 1, 50]], 'base and finetuned rows');
  const refused = a.messages.filter((m) => m.role === 'tool').map((m) => m.content);
  assert.equal(refused.length, 2);
  assert.match(refused[0]!, /501 characters; at most 500 \(no query used\)/);
  assert.match(refused[1]!, /no tool "nope"/);
  a.answer(['base says', 'tuned says']);
  assert.equal(a.steps.length, 1);
  assert.ok(a.tools());

  rows = [];
  a.take({ content: 'GUESS: first', toolCalls: [call('d', 'one'), call('e', 'two')] }, rows);
  assert.equal(rows.length, 2, 'the second call is over the budget');
  assert.match(a.messages.at(-1)!.content!, /no queries left of 2/);
  a.answer(['b2', 't2']);
  assert.equal(a.tools(), null, 'the budget is spent');
  a.take({ content: 'GUESS: second', toolCalls: [call('f', 'three')] }, (rows = []));
  assert.equal(rows.length, 0, 'calls after the budget are ignored');
  assert.deepEqual([a.done, a.finalGuess, a.steps.map((s) => s.guess)], [true, 'second', ['first', 'second']]);
});

test('the curve: after k queries, each item its k-th graded guess, or its final grade once it stopped', () => {
  const item = (score: number, steps: number[]) => ({ status: 'done', score, agentSteps: steps.map((s, k) => ({ step: k + 1, score: s })) }) as unknown as EvalItemView;
  const items = [item(5, [2, 4, 5]), item(3, [1]), item(1, [1, 1, 1])];
  const curve = agentCurve(items, 3);
  const plain = [1, 2, 3].map((k) => {
    const scores = [k <= 3 ? [2, 4, 5][k - 1] : 5, k <= 1 ? 1 : 3, 1];
    return scores.reduce((a, b) => a + b, 0) / 3;
  });
  assert.deepEqual(curve.map((c) => c.queries), [1, 2, 3]);
  curve.forEach((c, i) => assert.ok(Math.abs(c.mean - plain[i]!) < 1e-12 && c.n === 3));
});
