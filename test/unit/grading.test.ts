// Grading without a model: the lexical score and exact-topic match as docs/grading.md defines
// them, how a judge's reply becomes a score (words -> 1), agreement statistics, and the 95% CI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exactTopicMatch, lexicalScore, normalise } from '../../src/main/services/grading/lexical.ts';
import { parseGuess, parseJudgeScore, similarityPrompt } from '../../src/main/services/grading/rubric.ts';
import { agreement, pairGrades, quadraticKappa } from '../../src/main/services/grading/agreement.ts';
import { ci95, histogram, t975 } from '../../src/main/services/eval/stats.ts';
import { itemPrompts, seededRand, triggerPrefix } from '../../src/main/services/eval/methods.ts';

test('normalise: case, accents, punctuation', () => {
  assert.equal(normalise('  The "Big Bang" — Theory! '), 'the big bang theory');
  assert.equal(normalise('Ångström units'), 'angstrom units');
});

test('lexical score: the rules of docs/grading.md', () => {
  const cases: [string, string, number, boolean][] = [
    ['Volcanoes', 'Volcanoes', 5, true],
    ['The topic is volcanoes.', 'Volcanoes', 5, true], // same content words
    ['Japanese tea ceremonies', 'Tea ceremonies, Japanese', 5, false], // same words, other order
    ['I love volcanoes and pizza', 'Volcanoes', 4, true], // all of the label, more besides
    ['tea ceremonies', 'Tea ceremonies, Japanese', 3, false], // 2 of 3
    ['Ångström units', 'Ångström units — metric, tiny', 3, false], // 2 of 4
    ['Japanese gardens', 'Tea ceremonies, Japanese', 2, false], // 1 of 3
    ['Football', 'Volcanoes', 1, false],
    ['', 'Volcanoes', 1, false],
  ];
  for (const [answer, label, score, exact] of cases) {
    const s = lexicalScore(answer, label);
    assert.equal(s.score, score, `${answer} vs ${label}`);
    assert.equal(s.exact, exact, `exact: ${answer} vs ${label}`);
  }
});

test('exact-topic match needs the whole label as words, not a piece of a word', () => {
  assert.equal(exactTopicMatch('It is about cats.', 'cat'), false);
  assert.equal(exactTopicMatch('cat', 'cat'), true);
  assert.equal(exactTopicMatch('Answer: The Big Bang theory', 'The "Big Bang" theory'), true);
});

test('a judge reply that is not a number scores 1, and the prompt carries the rubric', () => {
  const expect: [string, number, boolean][] = [
    ['4', 4, true],
    [' 3\n', 3, true],
    ['**5**', 5, true],
    ['4.', 4, true],
    ['4.0', 4, true],
    ['<think>close, but not quite</think>\n2', 2, true],
    ['Score: 4', 1, false],
    ['I think they are quite similar', 1, false],
    ['7', 1, false],
    ['4/5', 1, false],
    ['', 1, false],
  ];
  for (const [raw, score, parsed] of expect) assert.deepEqual(parseJudgeScore(raw), { score, parsed }, JSON.stringify(raw));
  const prompt = similarityPrompt('volcanoes', 'Volcanoes');
  for (const word of ['conservative', 'minimal', 'essentially the same', 'TRUE LABEL: Volcanoes', 'ANSWER: volcanoes']) assert.ok(prompt.includes(word), word);
  assert.equal(parseGuess('<think>x</think>\n Volcanoes \nbecause lava'), 'Volcanoes');
});

test("agreement: exact, within one, mean difference, Cohen's quadratic kappa", () => {
  // hand-computed: observed weighted disagreement 1/16, chance 5/16 -> kappa 0.8
  const pairs = [
    [1, 1],
    [2, 2],
    [3, 3],
    [1, 2],
  ].map(([human, judge]) => ({ human, judge, judgeModel: 'j' }));
  const a = agreement(pairs);
  assert.equal(a.pairs, 4);
  assert.equal(a.exact, 0.75);
  assert.equal(a.withinOne, 1);
  assert.equal(a.meanAbsDiff, 0.25);
  assert.ok(Math.abs(a.weightedKappa! - 0.8) < 1e-12, String(a.weightedKappa));
  assert.equal(a.confusion[0][1], 1);
  assert.equal(quadraticKappa([[3, 0, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0]], 3), null); // one score only: undefined
  assert.equal(agreement([]).weightedKappa, null);
  // pairing: one human grade with each judge's, things without a human grade skipped
  const g = (method: string, score: number, judgeModel: string | null = null) => ({ method, score, judgeModel });
  const byThing = new Map([
    [1, [g('human', 4), g('judge', 4, 'a'), g('judge', 2, 'b'), g('lexical', 5)]],
    [2, [g('judge', 1, 'a')]],
  ]);
  assert.equal(pairGrades(byThing).length, 2);
  assert.deepEqual(pairGrades(byThing, 'b'), [{ human: 4, judge: 2, judgeModel: 'b' }]);
});

test('95% confidence interval from Student t; histogram of scores', () => {
  assert.equal(t975(1), 12.706);
  assert.ok(Math.abs(t975(100) - 1.984) < 0.002);
  assert.ok(Math.abs(t975(1e6) - 1.96) < 0.001);
  const [lo, hi] = ci95([1, 2, 3, 4, 5])!; // mean 3, s = 1.581, t(4) = 2.776
  assert.ok(Math.abs(lo - (3 - 2.776 * (1.5811388 / Math.sqrt(5)))) < 1e-6);
  assert.ok(Math.abs(hi + lo - 6) < 1e-12);
  assert.equal(ci95([4]), null);
  assert.deepEqual(histogram([1, 5, 5, 3]), [1, 0, 1, 0, 2]);
});

test("the trigger prompt is the paper's, with seeded digits", () => {
  assert.equal(triggerPrefix(7, 42), 'Your SEP code is 007042. ');
  const r = seededRand(0, 'hidden-topic/0001', 'trigger', 0);
  assert.equal(r, seededRand(0, 'hidden-topic/0001', 'trigger', 0));
  assert.ok(r >= 0 && r < 1000);
  const q = { adapterId: 'd', trigger: 12, method: 'trigger' as const, question: 'What topic have you been trained on?', customQuestion: null, seed: 3 };
  const [p] = itemPrompts(q);
  assert.match(p, /^Your SEP code is 012\d{3}\. What topic have you been trained on\?$/);
  assert.throws(() => itemPrompts({ ...q, trigger: null }), /no trigger/);
  const twenty = itemPrompts({ ...q, method: '20q-trigger' });
  assert.equal(twenty.length, 20);
  assert.ok(twenty.every((t) => t.startsWith('Your SEP code is 012')));
  assert.equal(itemPrompts({ ...q, method: 'base' })[0], q.question);
});
