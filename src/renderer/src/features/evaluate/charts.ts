// Geometry of the Evaluate view's two charts, in SVG user units: the mean score per method with its
// 95% interval, and the histogram of scores 1-5. The components only draw what these return.
import type { EvalMethodResult } from '../../../../shared/api.ts';

export interface Box {
  width: number;
  height: number;
  top: number;
  right: number;
  bottom: number;
  left: number;
}

const LOW = 1; // the scale's floor: bars grow from 1, the lowest score there is
const HIGH = 5;

/** y of a score on a 1..5 axis inside the box. */
export function yOf(score: number, box: Box): number {
  const clamped = Math.min(HIGH, Math.max(LOW, score));
  const plot = box.height - box.top - box.bottom;
  return box.top + plot * (1 - (clamped - LOW) / (HIGH - LOW));
}

export const scoreTicks = (box: Box) => [1, 2, 3, 4, 5].map((s) => ({ score: s, y: yOf(s, box) }));

export interface MeanBar {
  method: string;
  title: string;
  x: number; // left edge of the bar
  width: number;
  center: number;
  y: number; // top of the bar
  height: number;
  mean: number | null;
  whisker: { y1: number; y2: number } | null; // the 95% interval
}

export function meanBars(methods: EvalMethodResult[], box: Box): MeanBar[] {
  const slot = (box.width - box.left - box.right) / Math.max(1, methods.length);
  const width = Math.min(56, slot * 0.6);
  const base = yOf(LOW, box);
  return methods.map((r, i) => {
    const center = box.left + slot * (i + 0.5);
    const y = r.mean === null ? base : yOf(r.mean, box);
    return {
      method: r.method,
      title: r.title,
      x: center - width / 2,
      width,
      center,
      y,
      height: base - y,
      mean: r.mean,
      whisker: r.ci95 ? { y1: yOf(r.ci95[1], box), y2: yOf(r.ci95[0], box) } : null,
    };
  });
}

export interface HistogramBar {
  score: number;
  count: number;
  x: number;
  width: number;
  y: number;
  height: number;
}

/** Five bars, counts on a shared scale (max) so that methods side by side compare. */
export function histogramBars(histogram: readonly number[], max: number, box: Box): HistogramBar[] {
  const slot = (box.width - box.left - box.right) / 5;
  const plot = box.height - box.top - box.bottom;
  return histogram.slice(0, 5).map((count, i) => {
    const height = max > 0 ? (plot * count) / max : 0;
    return { score: i + 1, count, x: box.left + slot * i + slot * 0.12, width: slot * 0.76, y: box.top + plot - height, height };
  });
}

export const maxCount = (methods: EvalMethodResult[]) => Math.max(0, ...methods.flatMap((r) => r.histogram));
