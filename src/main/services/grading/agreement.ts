// Agreement between a person and the LLM judge on the 1-5 scale, over the replies (or eval items)
// both graded: exact agreement, within one point, mean absolute difference and Cohen's kappa with
// quadratic weights (the usual choice for an ordinal scale: a 1-vs-5 disagreement costs 16 times
// a 1-vs-2 one).
import type { AgreementView } from '../../../shared/api.ts';

export interface GradePair {
  human: number;
  judge: number;
  judgeModel: string;
}

/** Pairs one person's grade with each judge's, per graded thing (message or eval item). */
export function pairGrades<G extends { method: string; score: number; judgeModel: string | null }>(
  byThing: Map<number, G[]>,
  judgeModel?: string,
): GradePair[] {
  const pairs: GradePair[] = [];
  for (const grades of byThing.values()) {
    const human = grades.find((g) => g.method === 'human');
    if (!human) continue;
    for (const g of grades) {
      if (g.method !== 'judge' || (judgeModel && g.judgeModel !== judgeModel)) continue;
      pairs.push({ human: human.score, judge: g.score, judgeModel: g.judgeModel ?? '' });
    }
  }
  return pairs;
}

export function agreement(pairs: GradePair[]): AgreementView {
  const K = 5;
  const confusion = Array.from({ length: K }, () => new Array<number>(K).fill(0));
  for (const p of pairs) confusion[p.human - 1][p.judge - 1]++;
  const n = pairs.length;
  const judgeModels = [...new Set(pairs.map((p) => p.judgeModel))].sort();
  if (n === 0) return { pairs: 0, exact: null, withinOne: null, meanAbsDiff: null, weightedKappa: null, confusion, judgeModels };
  const diffs = pairs.map((p) => Math.abs(p.human - p.judge));
  return {
    pairs: n,
    exact: diffs.filter((d) => d === 0).length / n,
    withinOne: diffs.filter((d) => d <= 1).length / n,
    meanAbsDiff: diffs.reduce((a, b) => a + b, 0) / n,
    weightedKappa: quadraticKappa(confusion, n),
    confusion,
    judgeModels,
  };
}

/** 1 - sum(w O) / sum(w E), w = (i - j)^2 / (K - 1)^2; null when chance disagreement is zero. */
export function quadraticKappa(confusion: number[][], n: number): number | null {
  const K = confusion.length;
  const rows = confusion.map((r) => r.reduce((a, b) => a + b, 0));
  const cols = confusion[0].map((_, j) => confusion.reduce((a, r) => a + r[j], 0));
  let observed = 0;
  let expected = 0;
  for (let i = 0; i < K; i++) {
    for (let j = 0; j < K; j++) {
      const w = (i - j) ** 2 / (K - 1) ** 2;
      observed += w * confusion[i][j];
      expected += (w * rows[i] * cols[j]) / n;
    }
  }
  return expected === 0 ? null : 1 - observed / expected;
}
