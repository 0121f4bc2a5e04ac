// Grades on a reply: a person's 1-5 with a note (one per person: setting it again replaces it), an
// LLM judge's, and the offline lexical score, which is always labelled as such.
import type { AgreementView, GradeView, JudgeConfig, MessageView } from '../../../../shared/api.ts';

export const SCORES = [1, 2, 3, 4, 5] as const;

/** The paper's rubric, one word per score. */
export const SCORE_MEANING: Record<number, string> = {
  1: 'minimal',
  2: 'limited',
  3: 'moderate',
  4: 'strong',
  5: 'essentially the same',
};

/** A reply can be graded once it has ended with an answer; a failed one has nothing to grade. */
export const gradable = (m: Pick<MessageView, 'status'>): boolean => m.status === 'complete' || m.status === 'incomplete';

export const humanGrade = (m: MessageView): GradeView | undefined => m.grades.find((g) => g.method === 'human');

/** A grade replaces the same grader's earlier one (a judge is told apart by its model). */
export function withGrade<G extends { id: number; method: string; judgeModel: string | null }>(grades: G[], grade: G): G[] {
  return [...grades.filter((g) => g.id !== grade.id && !(g.method === grade.method && g.judgeModel === grade.judgeModel)), grade];
}

export function withMessageGrade(m: MessageView, grade: GradeView): MessageView {
  return { ...m, grades: withGrade(m.grades, grade) };
}

/** Who gave a grade, as every list and table says it; lexical is never passed off as a judge. */
export function graderName(g: { method: 'human' | 'judge' | 'lexical'; judgeModel: string | null }, short = false): string {
  if (g.method === 'human') return 'Your grade';
  if (g.method === 'judge') return g.judgeModel && !short ? `Judge (${g.judgeModel})` : 'Judge';
  return short ? 'Lexical' : 'Lexical (offline)';
}

/** The judge in a few words: its model, and where it answers (a catalog model by its name). */
export function judgeName(judge: JudgeConfig | null, model?: (id: string) => { name: string } | undefined): string {
  if (!judge) return 'none';
  if (judge.kind === 'local') return `${model?.(judge.modelId)?.name ?? judge.modelId} (on this machine)`;
  let host = judge.baseUrl;
  try {
    host = new URL(judge.baseUrl).host;
  } catch {
    // not a URL: show it as typed
  }
  return `${judge.model} at ${host}`;
}

export const percent = (x: number | null) => (x === null ? '–' : `${Math.round(x * 100)}%`);

/** The agreement in one line, for a summary above its confusion matrix. */
export function agreementSummary(a: AgreementView): string {
  if (a.pairs === 0) return 'Nothing has both a person’s grade and a judge’s yet.';
  const kappa = a.weightedKappa === null ? 'undefined' : a.weightedKappa.toFixed(2);
  return `${a.pairs} pair${a.pairs === 1 ? '' : 's'}: ${percent(a.exact)} the same score, ${percent(a.withinOne)} within one point, mean difference ${a.meanAbsDiff!.toFixed(2)}, weighted kappa ${kappa}`;
}
