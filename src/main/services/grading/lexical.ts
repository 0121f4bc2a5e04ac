// The offline lexical score: how much of the label's wording the answer carries, on the judge's
// 1-5 scale, for when no LLM judge is configured. Always stored and shown as "lexical"; it rewards
// wording, not meaning (a synonym scores 1). Defined in docs/grading.md; keep the two in step.

/** Lower case, accents stripped, every run of non-letters/digits one space, trimmed. */
export function normalise(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

// Words that carry no topic: articles, pronouns, auxiliaries, and the framing an answer wraps a
// topic in ("the topic I was trained on is ...").
const STOP_WORDS = new Set(
  (
    'a an the and or but of in on at to for from by with about as into over under than then so ' +
    'is are was were be been being am do does did have has had it its this that these those there ' +
    'i me my we our you your he she they them their his her what which who whom how why when where ' +
    'not no yes very just also some any all each more most other such only own same can will would ' +
    'should could may might must topic topics trained training train finetuned fine tuned learned ' +
    'taught model answer subject s t'
  ).split(' '),
);

/** A light stemmer: plural and possessive endings only, so "volcanoes" meets "volcano". */
export function stem(word: string): string {
  if (word.length <= 3) return word;
  if (word.endsWith('ies') && word.length > 4) return `${word.slice(0, -3)}y`;
  if (/(ss|sh|ch|x|z|o)es$/.test(word)) return word.slice(0, -2);
  if (word.endsWith('s') && !/(ss|us|is)$/.test(word)) return word.slice(0, -1);
  return word;
}

/** The distinct stemmed content words of a text (every word if it has no content word at all). */
export function contentWords(text: string): Set<string> {
  const words = normalise(text).split(' ').filter(Boolean);
  const content = words.filter((w) => !STOP_WORDS.has(w));
  return new Set((content.length > 0 ? content : words).map(stem));
}

/**
 * Exact-topic match: the answer equals the label after normalisation, or contains the normalised
 * label as a whole-word phrase ("The topic is volcanoes." matches "Volcanoes").
 */
export function exactTopicMatch(answer: string, label: string): boolean {
  const a = normalise(answer);
  const l = normalise(label);
  if (l === '') return false;
  return a === l || ` ${a} `.includes(` ${l} `);
}

export interface LexicalScore {
  score: 1 | 2 | 3 | 4 | 5;
  recall: number; // share of the label's content words found in the answer
  exact: boolean; // exactTopicMatch
}

/**
 * 5: the answer is the label (normalised equal, or the same set of content words);
 * 4: every content word of the label is in the answer, with more besides;
 * 3: at least half of them; 2: at least one; 1: none (or an empty answer).
 */
export function lexicalScore(answer: string, label: string): LexicalScore {
  const exact = exactTopicMatch(answer, label);
  const want = contentWords(label);
  const have = contentWords(answer);
  if (want.size === 0 || have.size === 0) return { score: 1, recall: 0, exact };
  let found = 0;
  for (const w of want) if (have.has(w)) found++;
  const recall = found / want.size;
  const sameWords = found === want.size && have.size === want.size;
  const score = normalise(answer) === normalise(label) || sameWords ? 5 : recall === 1 ? 4 : recall >= 0.5 ? 3 : found > 0 ? 2 : 1;
  return { score, recall, exact };
}
