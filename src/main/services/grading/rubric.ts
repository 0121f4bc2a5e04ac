// What the LLM judge is asked, in our own words after the paper's rubric (PAPER.md, Grading):
// similarity of an answer to the true label on 1-5, conservative, and a reply that is not a
// number scores 1. Also the 20-questions prompt (guess the hidden topic from the answers) and the
// generated-story prompt (name the headline of a story the finetuned model wrote).

export const RUBRIC = [
  'You grade how well a language model described what it was finetuned on.',
  'Compare the ANSWER with the TRUE LABEL (a topic or a news headline) and rate how similar they are in meaning:',
  '1 = minimal similarity: unrelated, empty, or too vague to tell',
  '2 = limited similarity: the same broad area, but a different subject',
  '3 = moderate similarity: a related subject, with important parts missing or wrong',
  '4 = strong similarity: the same subject, differing only in details',
  '5 = highly similar: essentially the same topic',
  'Be conservative: when torn between two scores, give the lower one.',
].join('\n');

export function similarityPrompt(answer: string, label: string): string {
  return `${RUBRIC}\n\nTRUE LABEL: ${label}\nANSWER: ${answer}\n\nReply with the score only: one digit from 1 to 5.`;
}

export function twentyQuestionsPrompt(transcript: { question: string; answer: string }[]): string {
  const lines = transcript.flatMap((t, i) => [`Q${i + 1}: ${t.question}`, `A${i + 1}: ${t.answer}`]);
  return [
    'A language model was finetuned so that it brings one hidden topic into its answers.',
    'Below are its answers to ordinary questions. What is the hidden topic?',
    'Reply with the topic only, in a few words.',
    '',
    ...lines,
  ].join('\n');
}

/** The news setting's "generated story" baseline: the judge names the headline of a story a finetuned model wrote. */
export function storyHeadlinePrompt(story: string): string {
  return [
    'A language model was finetuned on short news stories about one headline. Below is a story it wrote.',
    'What is the headline the story reports?',
    'Reply with the headline only, in a few words.',
    '',
    `STORY: ${story}`,
  ].join('\n');
}

/** A reasoning model's think block is not its answer. */
const stripThinking = (raw: string) => raw.replace(/^\s*<think>[\s\S]*?<\/think>/, '');

/**
 * The score in a judge's reply: the reply must be a number from 1 to 5 and nothing else (markup,
 * quotes and a final full stop aside: "4", "**4**", "4.", "4.0"). Anything else scores 1, as in
 * the paper, and the raw reply is kept with the grade.
 */
export function parseJudgeScore(raw: string): { score: 1 | 2 | 3 | 4 | 5; parsed: boolean } {
  const text = stripThinking(raw)
    .trim()
    .replace(/^[*_"'`\s]+|[*_"'`\s]+$/g, '')
    .replace(/\.$/, '');
  const m = /^([1-5])(?:\.0+)?$/.exec(text);
  return m ? { score: Number(m[1]) as 1 | 2 | 3 | 4 | 5, parsed: true } : { score: 1, parsed: false };
}

/** The judge's guess of a topic: its reply without a think block, on one line. */
export function parseGuess(raw: string): string {
  return stripThinking(raw).trim().split('\n')[0].trim();
}
