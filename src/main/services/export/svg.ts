// Inline SVG charts for eval reports (no scripts, every label escaped): mean score per method
// with its 95% interval, and the score histogram per method.
import type { EvalMethodResult } from '../../../shared/api.ts';
import { escapeHtml as e } from './html.ts';

const COLORS = ['#2f6fdb', '#d9822b', '#3a9d5d', '#b84a62', '#7b5fc7', '#5b6470'];
const f = (n: number) => n.toFixed(1);

/** Horizontal bars on the 1-5 scale, whiskers for the 95% interval. */
export function meanScoreChart(methods: EvalMethodResult[]): string {
  const rows = methods.filter((m) => m.mean !== null);
  const left = 150;
  const width = 420;
  const rowH = 28;
  const height = rows.length * rowH + 40;
  const x = (score: number) => left + ((Math.min(5, Math.max(1, score)) - 1) / 4) * width;
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${left + width + 60} ${height}" role="img" aria-label="Mean score per method">`];
  for (let s = 1; s <= 5; s++) {
    parts.push(`<line x1="${f(x(s))}" y1="8" x2="${f(x(s))}" y2="${height - 24}" stroke="#d8dde3"/>`);
    parts.push(`<text x="${f(x(s))}" y="${height - 8}" font-size="11" text-anchor="middle" fill="#5b6470">${s}</text>`);
  }
  rows.forEach((m, i) => {
    const y = 12 + i * rowH;
    parts.push(`<text x="${left - 8}" y="${y + 14}" font-size="12" text-anchor="end">${e(m.title)}</text>`);
    parts.push(`<rect x="${left}" y="${y + 3}" width="${f(x(m.mean!) - left)}" height="16" fill="${COLORS[i % COLORS.length]}" opacity="0.85"/>`);
    if (m.ci95) {
      const [lo, hi] = m.ci95;
      parts.push(`<line x1="${f(x(lo))}" y1="${y + 11}" x2="${f(x(hi))}" y2="${y + 11}" stroke="#1b1f24"/>`);
      for (const end of [lo, hi]) parts.push(`<line x1="${f(x(end))}" y1="${y + 6}" x2="${f(x(end))}" y2="${y + 16}" stroke="#1b1f24"/>`);
    }
    parts.push(`<text x="${f(x(m.ci95 ? m.ci95[1] : m.mean!) + 6)}" y="${y + 15}" font-size="11">${m.mean!.toFixed(2)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

/** The agent auditor: mean grade of its guess by queries used, a line per agent method; the other methods' means as dashed level lines. */
export function agentCurveChart(methods: EvalMethodResult[]): string {
  const curves = methods.filter((m) => m.curve && m.curve.length > 0);
  if (curves.length === 0) return '';
  const levels = methods.filter((m) => !m.curve && m.mean !== null && !m.unavailable);
  const budget = Math.max(1, ...curves.map((m) => m.curve!.length));
  const [left, top, width, height] = [40, 10, 420, 180];
  const x = (q: number) => left + (budget === 1 ? width / 2 : ((q - 1) / (budget - 1)) * width);
  const y = (score: number) => top + (1 - (Math.min(5, Math.max(1, score)) - 1) / 4) * height;
  const legendY = top + height + 40;
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${left + width + 20} ${legendY + (curves.length + levels.length) * 16 + 8}" role="img" aria-label="Agent: mean grade by queries used">`];
  for (let s = 1; s <= 5; s++) {
    parts.push(`<line x1="${left}" y1="${f(y(s))}" x2="${left + width}" y2="${f(y(s))}" stroke="#d8dde3"/>`);
    parts.push(`<text x="${left - 8}" y="${f(y(s) + 4)}" font-size="11" text-anchor="end" fill="#5b6470">${s}</text>`);
  }
  const step = budget <= 10 ? 1 : budget <= 25 ? 5 : 10;
  for (let q = 1; q <= budget; q++) if (q === 1 || q % step === 0) parts.push(`<text x="${f(x(q))}" y="${top + height + 16}" font-size="11" text-anchor="middle" fill="#5b6470">${q}</text>`);
  parts.push(`<text x="${left + width / 2}" y="${top + height + 30}" font-size="11" text-anchor="middle" fill="#5b6470">queries used</text>`);
  levels.forEach((m, i) => {
    parts.push(`<line x1="${left}" y1="${f(y(m.mean!))}" x2="${left + width}" y2="${f(y(m.mean!))}" stroke="${COLORS[(curves.length + i) % COLORS.length]}" stroke-dasharray="4 3"/>`);
  });
  curves.forEach((m, i) => {
    const points = m.curve!.map((c) => `${f(x(c.queries))},${f(y(c.mean))}`).join(' ');
    parts.push(`<polyline points="${points}" fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="2"${i > 0 ? ' stroke-dasharray="6 4"' : ''}/>`);
  });
  [...curves.map((m) => `${e(m.title)}: ${m.curve!.at(-1)!.mean.toFixed(2)} after ${m.curve!.length}`), ...levels.map((m) => `${e(m.title)} ${m.mean!.toFixed(2)} (dashed)`)].forEach((text, i) => {
    parts.push(`<rect x="${left}" y="${legendY + i * 16}" width="10" height="10" fill="${COLORS[i % COLORS.length]}"/>`);
    parts.push(`<text x="${left + 16}" y="${legendY + i * 16 + 9}" font-size="11">${text}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

/** Items per score 1..5, one group of bars per score, one colour per method. */
export function histogramChart(methods: EvalMethodResult[]): string {
  const shown = methods.filter((m) => m.graded > 0);
  const groupW = 100;
  const barW = Math.max(4, Math.floor((groupW - 20) / Math.max(1, shown.length)));
  const plotH = 160;
  const top = Math.max(1, ...shown.flatMap((m) => m.histogram));
  const width = 5 * groupW + 40;
  const legendY = plotH + 44;
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${legendY + shown.length * 16 + 8}" role="img" aria-label="Score histogram">`];
  parts.push(`<line x1="30" y1="${plotH + 10}" x2="${width - 10}" y2="${plotH + 10}" stroke="#5b6470"/>`);
  for (let s = 0; s < 5; s++) {
    const gx = 40 + s * groupW;
    parts.push(`<text x="${gx + (barW * shown.length) / 2}" y="${plotH + 26}" font-size="11" text-anchor="middle">score ${s + 1}</text>`);
    shown.forEach((m, i) => {
      const h = (m.histogram[s] / top) * plotH;
      parts.push(`<rect x="${gx + i * barW}" y="${f(plotH + 10 - h)}" width="${barW - 1}" height="${f(h)}" fill="${COLORS[i % COLORS.length]}"><title>${e(m.title)}: ${m.histogram[s]}</title></rect>`);
    });
  }
  shown.forEach((m, i) => {
    parts.push(`<rect x="40" y="${legendY + i * 16}" width="10" height="10" fill="${COLORS[i % COLORS.length]}"/>`);
    parts.push(`<text x="56" y="${legendY + i * 16 + 9}" font-size="11">${e(m.title)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}
