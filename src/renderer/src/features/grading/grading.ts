// Grades on a reply: a person's 1-5 with a note (one per person: setting it again replaces it), an
// LLM judge's, and the offline lexical score, which is always labelled as such.
import type { GradeView, MessageView } from '../../../../shared/api.ts';

export const SCORES = [1, 2, 3, 4, 5] as const;

/** The paper's rubric, one word per score. */
export const SCORE_MEANING: Record<number, string> = {
  1: 'minimal',
  2: 'limited',
  3: 'moderate',
  4: 'strong',
  5: 'essentially the same',
};

export const humanGrade = (m: MessageView): GradeView | undefined => m.grades.find((g) => g.method === 'human');

export function withGrade(m: MessageView, grade: GradeView): MessageView {
  const others = m.grades.filter((g) => g.id !== grade.id && !(g.method === grade.method && g.judgeModel === grade.judgeModel));
  return { ...m, grades: [...others, grade] };
}

export function graderName(g: GradeView): string {
  if (g.method === 'human') return 'Your grade';
  if (g.method === 'judge') return `Judge ${g.judgeModel ?? ''}`.trim();
  return 'Lexical score (offline, no judge)';
}
