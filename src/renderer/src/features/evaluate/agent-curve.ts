// Geometry of the agent auditor's chart: the mean grade of the agents' guesses by queries used,
// one line per agent method, and the other methods' means as level lines to compare with (DIT
// alone: the one question with the DIT adapter). The component only draws what this returns.
import type { EvalMethodResult } from '../../../../shared/api.ts';
import { yOf, type Box } from './charts.ts';

export interface CurveLine {
  method: string;
  title: string;
  points: { queries: number; mean: number; x: number; y: number }[];
  path: string; // SVG polyline points
}

export interface LevelLine {
  method: string;
  title: string;
  mean: number;
  y: number;
}

/** A label at the plot's right edge, moved apart from its neighbours so that none overlap. */
export interface EdgeLabel {
  key: string;
  text: string;
  y: number;
  curve: number | null; // the curve's index (its colour), null for a level line
}

export interface CurveChart {
  lines: CurveLine[];
  levels: LevelLine[];
  labels: EdgeLabel[];
  xTicks: { queries: number; x: number }[];
}

const LABEL_GAP = 12;

/** Labels in order of height, each at least LABEL_GAP below the one above it. */
export function spreadLabels(labels: EdgeLabel[]): EdgeLabel[] {
  const sorted = [...labels].sort((a, b) => a.y - b.y);
  for (let i = 1; i < sorted.length; i++) if (sorted[i].y - sorted[i - 1].y < LABEL_GAP) sorted[i] = { ...sorted[i], y: sorted[i - 1].y + LABEL_GAP };
  return sorted;
}

export function curveChart(methods: EvalMethodResult[], box: Box): CurveChart {
  const curves = methods.filter((m) => m.curve && m.curve.length > 0);
  const budget = Math.max(1, ...curves.map((m) => m.curve!.length));
  const plot = box.width - box.left - box.right;
  const xOf = (q: number) => box.left + (budget === 1 ? plot / 2 : ((q - 1) / (budget - 1)) * plot);
  const lines = curves.map((m) => {
    const points = m.curve!.map((c) => ({ queries: c.queries, mean: c.mean, x: xOf(c.queries), y: yOf(c.mean, box) }));
    return { method: m.method, title: m.title, points, path: points.map((p) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ') };
  });
  const levels = methods.filter((m) => !m.curve && m.mean !== null && !m.unavailable).map((m) => ({ method: m.method, title: m.title, mean: m.mean!, y: yOf(m.mean!, box) }));
  const step = budget <= 10 ? 1 : budget <= 25 ? 5 : 10;
  const xTicks = Array.from({ length: budget }, (_, i) => i + 1)
    .filter((q) => q === 1 || q % step === 0)
    .map((queries) => ({ queries, x: xOf(queries) }));
  const labels = spreadLabels([
    ...lines.map((l, i) => ({ key: `curve-${l.method}`, text: `${l.title} ${l.points.at(-1)!.mean.toFixed(2)}`, y: l.points.at(-1)!.y, curve: i })),
    ...levels.map((l) => ({ key: `level-${l.method}`, text: `${l.title} ${l.mean.toFixed(2)}`, y: l.y, curve: null })),
  ]);
  return { lines, levels, labels, xTicks };
}
