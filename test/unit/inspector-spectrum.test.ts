// The diff inspector's figures, exact from the low-rank factors, against a plain dense computation
// of ΔW = scale · a b on the test fixtures: ||ΔW||_F, the singular values (through the power sums
// trace((ΔWᵀΔW)^k) that fix them, and σ_max by power iteration), stable and effective rank, and
// the cosine between two diffs (1 with itself, -1 with its negation).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { LowRank, LowRankModule } from '../../src/main/engine/adapters/lowrank.ts';
import { readPeft } from '../../src/main/engine/adapters/peft.ts';
import { readPaperPt } from '../../src/main/engine/adapters/paper.ts';
import { inspectAdapter } from '../../src/main/engine/adapters/inspect.ts';
import { cosine, moduleSpectrum } from '../../src/main/engine/adapters/spectrum.ts';
import { classicalMds } from '../../src/main/engine/adapters/mds.ts';
import { seededNormal } from '../reference/random-weights.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');
const peft = () => readPeft(join(FIXTURES, 'peft', 'qwen3-tiny-r2'));
const paper = (i: number) => readPaperPt(join(FIXTURES, 'pt', 'qwen3-diffs-f32.pt'), i);

/** ΔW = scale · a b as a dense [in][out] float64 matrix. */
function dense(m: LowRankModule, scale: number): Float64Array[] {
  return Array.from({ length: m.inDim }, (_, i) =>
    Float64Array.from({ length: m.outDim }, (_, o) => {
      let s = 0;
      for (let p = 0; p < m.rank; p++) s += m.a[i * m.rank + p] * m.b[p * m.outDim + o];
      return scale * s;
    }),
  );
}

/** ΔWᵀΔW or ΔWΔWᵀ, whichever is smaller (the same nonzero eigenvalues). */
function gramOf(w: Float64Array[]): Float64Array[] {
  const [rows, cols] = [w.length, w[0].length];
  const n = Math.min(rows, cols);
  const at = rows <= cols ? (i: number, k: number) => w[i][k] : (i: number, k: number) => w[k][i];
  const len = Math.max(rows, cols);
  const g = Array.from({ length: n }, () => new Float64Array(n));
  for (let p = 0; p < n; p++) {
    for (let q = p; q < n; q++) {
      let s = 0;
      for (let k = 0; k < len; k++) s += at(p, k) * at(q, k);
      g[p][q] = g[q][p] = s;
    }
  }
  return g;
}

function matmul(x: Float64Array[], y: Float64Array[]): Float64Array[] {
  const n = y[0].length;
  return x.map((row) => {
    const out = new Float64Array(n);
    for (let k = 0; k < row.length; k++) for (let j = 0; j < n; j++) out[j] += row[k] * y[k][j];
    return out;
  });
}

const trace = (x: Float64Array[]) => x.reduce((s, row, i) => s + row[i], 0);

/** Largest singular value of a dense matrix: power iteration on its Gram matrix. */
function sigmaMax(g: Float64Array[]): number {
  const n = g.length;
  let v = Float64Array.from({ length: n }, (_, i) => (1 + i / n) / Math.sqrt(n));
  let lambda = 0;
  for (let it = 0; it < 3000; it++) {
    const w = new Float64Array(n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) w[i] += g[i][j] * v[j];
    let norm = 0;
    for (const x of w) norm += x * x;
    norm = Math.sqrt(norm);
    if (norm === 0) return 0;
    const next = norm; // v has unit length
    v = w.map((x) => x / norm);
    if (Math.abs(next - lambda) <= 1e-14 * next) break;
    lambda = next;
  }
  return Math.sqrt(lambda);
}

const close = (got: number, want: number, what: string, tol = 1e-4) =>
  assert.ok(Math.abs(got - want) <= tol * Math.max(Math.abs(want), 1e-12), `${what}: ${got} vs dense ${want}`);

function checkModules(lr: LowRank, where: string) {
  const info = inspectAdapter(lr);
  assert.equal(info.modules.length, lr.modules.size);
  for (const [key, m] of lr.modules) {
    const fig = moduleSpectrum(m, lr.scale);
    const w = dense(m, lr.scale);
    const g = gramOf(w);
    const what = `${where} ${key}`;
    close(fig.frobenius, Math.sqrt(trace(g)), `${what} ||ΔW||_F`);
    // power sums Σσ^(2k) = trace((ΔWᵀΔW)^k), k = 1..rank, fix the rank's squared singular values
    let power = g;
    for (let k = 1; k <= m.rank; k++) {
      close(fig.singularValues.reduce((s, x) => s + x ** (2 * k), 0), trace(power), `${what} Σσ^${2 * k}`);
      power = matmul(power, g);
    }
    const smax = sigmaMax(g);
    close(fig.singularValues[0], smax, `${what} σ_max`);
    close(fig.stableRank, trace(g) / smax ** 2, `${what} stable rank`);
    if (m.rank === 2) {
      // σ1², σ2² are the roots of t² - p1 t + (p1² - p2)/2
      const p1 = trace(g);
      const p2 = trace(matmul(g, g));
      const disc = Math.sqrt(Math.max(0, p1 * p1 - 2 * (p1 * p1 - p2)));
      const sv = [Math.sqrt((p1 + disc) / 2), Math.sqrt(Math.max(0, (p1 - disc) / 2))];
      const sum = sv[0] + sv[1];
      const erank = Math.exp(-sv.filter((x) => x > 0).reduce((s, x) => s + (x / sum) * Math.log(x / sum), 0));
      close(fig.effectiveRank, erank, `${what} effective rank`);
    }
    if (m.rank === 1) close(fig.effectiveRank, 1, `${what} effective rank`);
    // the inspection reports the same figures for this module
    const row = info.modules.find((x) => `${x.layer}` === key.split('.')[0] && x.frobenius === fig.frobenius);
    assert.ok(row, `${what} listed by inspect`);
  }
}

function denseVector(lr: LowRank): Map<string, Float64Array[]> {
  return new Map([...lr.modules].map(([k, m]) => [k, dense(m, lr.scale)]));
}

function denseCosine(x: LowRank, y: LowRank): number {
  const dx = denseVector(x);
  const dy = denseVector(y);
  let xy = 0;
  let xx = 0;
  let yy = 0;
  for (const [k, wx] of dx) {
    const wy = dy.get(k);
    wx.forEach((row, i) => row.forEach((v, j) => {
      xx += v * v;
      if (wy) xy += v * wy[i][j];
    }));
  }
  for (const wy of dy.values()) for (const row of wy) for (const v of row) yy += v * v;
  return xy / Math.sqrt(xx * yy);
}

describe('diff inspector figures against a dense ΔW', () => {
  it('per module on the PEFT fixture (rank 2, 21 modules)', () => checkModules(peft(), 'peft'));

  it('per module on the paper fixture (diffs #0 and #1)', () => {
    checkModules(paper(0), 'paper#0');
    checkModules(paper(1), 'paper#1');
  });

  it('per module on random factors of rank 5, with a scale and a rank-deficient factor', () => {
    const normal = seededNormal(11);
    const [inDim, r, outDim] = [24, 5, 17];
    const a = Float32Array.from({ length: inDim * r }, normal);
    for (let i = 0; i < inDim; i++) a[i * r + 4] = a[i * r + 3] * 2; // column 4 = 2 x column 3: rank 4
    const b = Float32Array.from({ length: r * outDim }, normal);
    const lr: LowRank = { modules: new Map([['0.q', { a, b, inDim, outDim, rank: r }]]), scale: -0.3, rank: r, meta: {} };
    checkModules(lr, 'random');
    const sv = moduleSpectrum(lr.modules.get('0.q')!, lr.scale).singularValues;
    assert.equal(sv.length, 5);
    assert.ok(sv[4] < 1e-5 * sv[0], `rank 4: the fifth singular value is ${sv[4]}`);
  });

  it('cosine: equal to the dense one between two diffs, 1 with itself, -1 with its negation, 0 with nothing in common', () => {
    const [x, y] = [paper(0), paper(1)];
    close(cosine(x, y), denseCosine(x, y), 'cos(#0, #1)');
    close(cosine(peft(), peft()), 1, 'cos(x, x)', 1e-12);
    close(cosine(x, x), 1, 'cos(#0, #0)', 1e-12);
    close(cosine(x, { ...x, scale: -x.scale }), -1, 'cos(#0, -#0)', 1e-12);
    close(cosine(x, { ...x, scale: 3 * x.scale }), 1, 'cos(#0, 3 #0)', 1e-12);
    const only = (lr: LowRank, keep: string) => ({ ...lr, modules: new Map([...lr.modules].filter(([k]) => k === keep)) });
    assert.equal(cosine(only(x, '0.q'), only(y, '0.k')), 0);
  });

  it('classical MDS places points whose Gram matrix is planar exactly', () => {
    // four unit vectors in a plane: their cosines are a rank-2 Gram matrix; centred distances are kept
    const angles = [0, 0.5, 1.4, 2.9];
    const n = angles.length;
    const gram = Float64Array.from({ length: n * n }, (_, k) => Math.cos(angles[Math.floor(k / n)] - angles[k % n]));
    const { x, y, explained } = classicalMds(gram, n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const want = 2 - 2 * gram[i * n + j];
        close((x[i] - x[j]) ** 2 + (y[i] - y[j]) ** 2, want, `d²(${i}, ${j})`, 1e-6);
      }
    }
    close(explained[0] + explained[1], 1, 'explained', 1e-9);
  });
});
