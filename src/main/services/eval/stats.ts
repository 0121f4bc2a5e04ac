// Summary statistics of scores: mean with a 95% confidence interval from Student's t (runs are
// often small: 10 diffs, not the paper's 100), and the histogram of scores 1..5.

// t quantiles at 0.975 for 1..30 degrees of freedom
const T975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074,
  2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

/** Student's t at 0.975: the table to 30 degrees of freedom, a Cornish-Fisher expansion beyond. */
export function t975(df: number): number {
  if (df <= 30) return T975[Math.max(1, Math.round(df)) - 1];
  const z = 1.959964;
  return z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df ** 2);
}

export function mean(xs: number[]): number | null {
  return xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** mean ± t · s / √n; null below two values. */
export function ci95(xs: number[]): [number, number] | null {
  if (xs.length < 2) return null;
  const m = mean(xs)!;
  const variance = xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1);
  const half = t975(xs.length - 1) * Math.sqrt(variance / xs.length);
  return [m - half, m + half];
}

export function histogram(scores: number[]): [number, number, number, number, number] {
  const h: [number, number, number, number, number] = [0, 0, 0, 0, 0];
  for (const s of scores) if (s >= 1 && s <= 5) h[Math.round(s) - 1]++;
  return h;
}
