// Randomised SVD: exact on low-rank input, close to the true top-K energy on full-rank input,
// deterministic for a seed.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomisedSvd, symmetricEigen } from '../../src/main/engine/adapters/rsvd.ts';
import { seededNormal } from '../reference/random-weights.ts';

function gaussian(m: number, n: number, seed: number): Float32Array {
  const normal = seededNormal(seed);
  return Float32Array.from({ length: m * n }, normal);
}

/** ||A - (left · right)ᵀ||_F / ||A||_F for A [m, n], left [n, K], right [K, m]. */
function relativeError(A: Float32Array, m: number, n: number, left: Float64Array, right: Float64Array, K: number): number {
  let err = 0;
  let total = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let v = 0;
      for (let k = 0; k < K; k++) v += left[j * K + k] * right[k * m + i];
      err += (v - A[i * n + j]) ** 2;
      total += A[i * n + j] ** 2;
    }
  }
  return Math.sqrt(err / total);
}

describe('randomised SVD', () => {
  it('recovers an exactly rank-3 matrix and keeps all of its energy', () => {
    const [m, n] = [61, 43];
    const U = gaussian(m, 3, 1);
    const V = gaussian(3, n, 2);
    const A = new Float32Array(m * n);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) A[i * n + j] = U[i * 3] * V[j] + U[i * 3 + 1] * V[n + j] + U[i * 3 + 2] * V[2 * n + j];
    const svd = randomisedSvd(A, m, n, { rank: 4 });
    assert.equal(svd.rank, 4);
    assert.ok(relativeError(A, m, n, svd.left, svd.right, 4) < 1e-6);
    const kept = svd.sigma2.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(kept / svd.total - 1) < 1e-9);
    assert.ok(svd.sigma2[3] < 1e-9 * svd.sigma2[0], 'the fourth direction is empty');
  });

  it('keeps close to the true top-K energy of a full-rank matrix', () => {
    const [m, n, K] = [50, 30, 5];
    const A = gaussian(m, n, 3);
    // exact: eigenvalues of Aᵀ A
    const G = new Float64Array(n * n);
    for (let p = 0; p < n; p++) for (let q = 0; q < n; q++) for (let i = 0; i < m; i++) G[p * n + q] += A[i * n + p] * A[i * n + q];
    const { values } = symmetricEigen(G, n);
    const exact = values.subarray(0, K).reduce((a, b) => a + b, 0);
    const svd = randomisedSvd(A, m, n, { rank: K });
    const kept = svd.sigma2.reduce((a, b) => a + b, 0);
    assert.ok(kept <= exact * (1 + 1e-12) && kept > exact * 0.99, `kept ${kept}, exact top-${K} ${exact}`);
    assert.ok(kept / svd.total < 0.5);
    // the factorisation is the projection it reports: ||A - A_K||² = total - kept
    const err = relativeError(A, m, n, svd.left, svd.right, K) ** 2 * svd.total;
    assert.ok(Math.abs(err - (svd.total - kept)) < 1e-6 * svd.total);
  });

  it('is deterministic for a seed', () => {
    const A = gaussian(20, 30, 4);
    const a = randomisedSvd(A, 20, 30, { rank: 3, seed: 7 });
    const b = randomisedSvd(A, 20, 30, { rank: 3, seed: 7 });
    assert.deepEqual(a.left, b.left);
    assert.deepEqual(a.right, b.right);
  });
});
