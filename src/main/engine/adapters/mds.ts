// Classical multidimensional scaling of a Gram matrix: the points whose inner products best match
// it in two dimensions. With cosines as the Gram matrix, distances are the chordal ones,
// d² = 2 - 2 cos; double centring gives B = J K J, whose top eigenvectors, scaled by √λ, are the
// coordinates (Torgerson 1952). Power iteration with deflation: O(n²) per step, no n³ solve.

export interface Mds {
  x: Float64Array;
  y: Float64Array;
  /** λ1 / trace(B), λ2 / trace(B): the share of the centred Gram matrix the axes show */
  explained: [number, number];
}

/** `gram` is n x n row-major and symmetric. */
export function classicalMds(gram: Float64Array, n: number): Mds {
  const b = Float64Array.from(gram);
  const rowMean = new Float64Array(n);
  let all = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += b[i * n + j];
    rowMean[i] = s / n;
    all += s;
  }
  all /= n * n;
  let trace = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) b[i * n + j] += all - rowMean[i] - rowMean[j];
    trace += b[i * n + i];
  }
  const first = topEigen(b, n, null);
  const second = topEigen(b, n, first);
  const coords = (e: { value: number; vector: Float64Array }) => e.vector.map((v) => v * Math.sqrt(Math.max(0, e.value)));
  const share = (v: number) => (trace > 0 ? Math.max(0, v) / trace : 0);
  return { x: coords(first), y: coords(second), explained: [share(first.value), share(second.value)] };
}

function topEigen(b: Float64Array, n: number, deflate: { value: number; vector: Float64Array } | null): { value: number; vector: Float64Array } {
  let v = Float64Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + (deflate ? 78.233 : 0)) + 0.01); // fixed start: the same map every time
  let value = 0;
  for (let iter = 0; iter < 300; iter++) {
    if (deflate) {
      const d = dot(v, deflate.vector);
      for (let i = 0; i < n; i++) v[i] -= d * deflate.vector[i];
    }
    const norm = Math.sqrt(dot(v, v));
    if (norm === 0) return { value: 0, vector: new Float64Array(n) };
    for (let i = 0; i < n; i++) v[i] /= norm;
    const w = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      const row = i * n;
      for (let j = 0; j < n; j++) s += b[row + j] * v[j];
      w[i] = s;
    }
    if (deflate) {
      const d = dot(w, deflate.vector);
      for (let i = 0; i < n; i++) w[i] -= d * deflate.vector[i];
    }
    const next = dot(v, w);
    const converged = Math.abs(next - value) <= 1e-12 * Math.abs(next);
    value = next;
    v = w;
    if (converged && iter > 5) break;
  }
  const norm = Math.sqrt(dot(v, v));
  if (norm > 0) for (let i = 0; i < n; i++) v[i] /= norm;
  // a sign fixed by the data, so the map does not flip between runs
  let big = 0;
  for (let i = 0; i < n; i++) if (Math.abs(v[i]) > Math.abs(big)) big = v[i];
  if (big < 0) for (let i = 0; i < n; i++) v[i] = -v[i];
  return { value, vector: v };
}

function dot(x: Float64Array, y: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * y[i];
  return s;
}
