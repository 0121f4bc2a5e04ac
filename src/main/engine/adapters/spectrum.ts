// Exact figures of a low-rank module ΔW = scale · a b without ever forming the [in, out] matrix:
// the singular values come from the small core R_a R_bᵀ (a = Q_a R_a, bᵀ = Q_b R_b, Householder
// QR), and inner products between two diffs from r1 x r2 factor products. All in float64.
import type { LowRank, LowRankModule } from './lowrank.ts';

export interface ModuleSpectrum {
  /** ||ΔW||_F */
  frobenius: number;
  /** singular values of ΔW, descending (at most the module's rank; zeros kept) */
  singularValues: number[];
  /** ||ΔW||_F² / σ_max² (0 for a zero module) */
  stableRank: number;
  /** exp of the entropy of σ_i / Σσ (Roy and Vetterli 2007; 0 for a zero module) */
  effectiveRank: number;
}

/** Columns of a [n, r] row-major matrix as float64 arrays (cols[p][i] = m[i * r + p]). */
function columnsOfA(m: LowRankModule): Float64Array[] {
  const { a, inDim: n, rank: r } = m;
  const cols = Array.from({ length: r }, () => new Float64Array(n));
  for (let i = 0; i < n; i++) for (let p = 0; p < r; p++) cols[p][i] = a[i * r + p];
  return cols;
}

/** Columns of bᵀ, i.e. the rows of b [r, out]. */
function columnsOfBt(m: LowRankModule): Float64Array[] {
  const { b, outDim: n, rank: r } = m;
  return Array.from({ length: r }, (_, p) => Float64Array.from(b.subarray(p * n, (p + 1) * n)));
}

/** R of a Householder QR of the [n, r] matrix given by its columns (destroyed): k x r, k = min(n, r). */
export function rFactor(cols: Float64Array[], n: number): Float64Array[] {
  const r = cols.length;
  const k = Math.min(n, r);
  for (let j = 0; j < k; j++) {
    const x = cols[j];
    let norm = 0;
    for (let i = j; i < n; i++) norm += x[i] * x[i];
    norm = Math.sqrt(norm);
    if (norm === 0) continue; // already zero below the diagonal
    const alpha = x[j] > 0 ? -norm : norm;
    const v = new Float64Array(n - j);
    for (let i = j; i < n; i++) v[i - j] = x[i];
    v[0] -= alpha;
    let vv = 0;
    for (let i = 0; i < v.length; i++) vv += v[i] * v[i];
    if (vv === 0) continue;
    for (let c = j; c < r; c++) {
      const col = cols[c];
      let dot = 0;
      for (let i = j; i < n; i++) dot += v[i - j] * col[i];
      const f = (2 * dot) / vv;
      for (let i = j; i < n; i++) col[i] -= f * v[i - j];
    }
  }
  // rows 0..k-1 of the reduced columns: R[i][c] = cols[c][i] for i <= c
  return Array.from({ length: k }, (_, i) => Float64Array.from({ length: r }, (_, c) => (i <= c ? cols[c][i] : 0)));
}

/** Singular values of a small dense matrix (rows of equal length), one-sided Jacobi; descending. */
export function smallSingularValues(rows: Float64Array[]): number[] {
  const m = rows.length;
  const n = m ? rows[0].length : 0;
  if (m === 0 || n === 0) return [];
  // work on the columns of the matrix (or of its transpose, whichever has fewer)
  const byCols = n <= m;
  const count = byCols ? n : m;
  const len = byCols ? m : n;
  const u = Array.from({ length: count }, (_, c) => Float64Array.from({ length: len }, (_, i) => (byCols ? rows[i][c] : rows[c][i])));
  for (let sweep = 0; sweep < 60; sweep++) {
    let rotated = false;
    for (let p = 0; p < count - 1; p++) {
      for (let q = p + 1; q < count; q++) {
        const x = u[p];
        const y = u[q];
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let i = 0; i < len; i++) {
          alpha += x[i] * x[i];
          beta += y[i] * y[i];
          gamma += x[i] * y[i];
        }
        if (gamma === 0 || Math.abs(gamma) <= 1e-15 * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (let i = 0; i < len; i++) {
          const xi = x[i];
          x[i] = c * xi - s * y[i];
          y[i] = s * xi + c * y[i];
        }
      }
    }
    if (!rotated) break;
  }
  return u.map((col) => Math.hypot(...col)).sort((a, b) => b - a);
}

/** Stable and effective rank of a spectrum. */
export function ranksOf(sv: number[]): { stableRank: number; effectiveRank: number } {
  const max = sv.length ? Math.max(...sv) : 0;
  if (!(max > 0)) return { stableRank: 0, effectiveRank: 0 };
  const sq = sv.reduce((s, x) => s + x * x, 0);
  const sum = sv.reduce((s, x) => s + x, 0);
  let entropy = 0;
  for (const x of sv) if (x > 0) entropy -= (x / sum) * Math.log(x / sum);
  return { stableRank: sq / (max * max), effectiveRank: Math.exp(entropy) };
}

/** Exact spectrum of scale · a b from its factors. */
export function moduleSpectrum(m: LowRankModule, scale: number): ModuleSpectrum {
  const ra = rFactor(columnsOfA(m), m.inDim); // ka x r
  const rb = rFactor(columnsOfBt(m), m.outDim); // kb x r
  // core = R_a R_bᵀ: ka x kb
  const core = ra.map((row) => Float64Array.from(rb, (other) => {
    let s = 0;
    for (let p = 0; p < row.length; p++) s += row[p] * other[p];
    return s;
  }));
  const singularValues = smallSingularValues(core).map((s) => Math.abs(scale) * s);
  const frobenius = Math.sqrt(singularValues.reduce((s, x) => s + x * x, 0));
  return { frobenius, singularValues, ...ranksOf(singularValues) };
}

/** <a1 b1, a2 b2>_F = trace((a1ᵀ a2)(b2 b1ᵀ)): O((in + out) r1 r2), no [in, out] product. */
export function moduleInner(x: LowRankModule, y: LowRankModule): number {
  if (x.inDim !== y.inDim || x.outDim !== y.outDim) throw new Error(`modules of different shapes: [${x.inDim}, ${x.outDim}] and [${y.inDim}, ${y.outDim}]`);
  const r1 = x.rank;
  const r2 = y.rank;
  if (r1 === 1 && r2 === 1) return dot(x.a, y.a) * dot(x.b, y.b); // the paper's rank-1 diffs: (a1·a2)(b1·b2)
  const ga = new Float64Array(r1 * r2); // a1ᵀ a2
  for (let i = 0; i < x.inDim; i++) {
    const o1 = i * r1;
    const o2 = i * r2;
    for (let p = 0; p < r1; p++) {
      const v = x.a[o1 + p];
      for (let q = 0; q < r2; q++) ga[p * r2 + q] += v * y.a[o2 + q];
    }
  }
  let total = 0;
  const n = x.outDim;
  for (let p = 0; p < r1; p++) {
    const bx = x.b.subarray(p * n, (p + 1) * n);
    for (let q = 0; q < r2; q++) {
      const by = y.b.subarray(q * n, (q + 1) * n);
      let s = 0; // (b2 b1ᵀ)[q, p]
      for (let j = 0; j < n; j++) s += bx[j] * by[j];
      total += ga[p * r2 + q] * s;
    }
  }
  return total;
}

function dot(x: Float32Array, y: Float32Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * y[i];
  return s;
}

/** <ΔW1, ΔW2> summed over the modules both touch (a module only one touches adds 0). */
export function innerProduct(x: LowRank, y: LowRank): number {
  let total = 0;
  for (const [key, mx] of x.modules) {
    const my = y.modules.get(key);
    if (my) total += moduleInner(mx, my);
  }
  return x.scale * y.scale * total;
}

/** ||ΔW||_F² over all modules. */
export function normSquared(x: LowRank): number {
  return innerProduct(x, x);
}

/** Cosine between two diffs over all modules: 1 with itself, -1 with its negation; 0 when either is zero. */
export function cosine(x: LowRank, y: LowRank, nx = Math.sqrt(normSquared(x)), ny = Math.sqrt(normSquared(y))): number {
  if (!(nx > 0) || !(ny > 0)) return 0;
  return Math.max(-1, Math.min(1, innerProduct(x, y) / (nx * ny)));
}
