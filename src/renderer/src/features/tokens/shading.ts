// How the token view shades a token: by the difference of its log-probability between two
// conditions (Δ = log p_A − log p_B, in nats), or by the KL divergence of the two next-token
// distributions at its position. The scale runs to the largest value of the reply (at least a
// small floor, so noise stays pale), and the legend shows where it ends.
import type { TokenScore, TokenScores } from '../../../../shared/api.ts';

export type ShadeMode = 'delta' | 'kl';

export const MODE_LABELS: Record<ShadeMode, string> = {
  delta: 'Δ log-probability',
  kl: 'KL divergence',
};

/** The value a token is shaded by: Δ (A minus B) or KL. */
export function shadeValue(t: TokenScore, mode: ShadeMode, a: string, b: string): number {
  return mode === 'kl' ? t.kl : t.logprob[a]! - t.logprob[b]!;
}

/** Where the colour scale ends: the largest |value| rounded up to a tidy number, at least 0.5. */
export function scaleEnd(scores: TokenScores, mode: ShadeMode): number {
  const [a, b] = scores.conditions as [string, string];
  const largest = Math.max(0, ...scores.tokens.map((t) => Math.abs(shadeValue(t, mode, a, b))));
  const steps = [0.5, 1, 2, 3, 5, 10, 20, 50];
  return steps.find((s) => s >= largest) ?? Math.ceil(largest);
}

/** A CSS background for a value on a scale ending at `end`: blue where A is likelier (or KL), orange where B is. */
export function shade(value: number, end: number, mode: ShadeMode): string {
  const strength = Math.min(1, Math.abs(value) / end);
  const pct = Math.round(strength * 70); // at most 70%: the text stays readable in both themes
  const hue = mode === 'kl' ? 'var(--tok-kl)' : value >= 0 ? 'var(--tok-up)' : 'var(--tok-down)';
  return `color-mix(in srgb, ${hue} ${pct}%, transparent)`;
}

/** Signed and rounded the way the view prints numbers. */
export const fmt = (x: number, digits = 2) => `${x > 0 ? '+' : x < 0 ? '−' : ''}${Math.abs(x).toFixed(digits)}`;

/** A token's text made visible: spaces kept, a newline shown as ⏎, nothing empty. */
export function visibleText(text: string): string {
  return text === '' ? '∅' : text.replace(/\n/g, '⏎\n');
}
