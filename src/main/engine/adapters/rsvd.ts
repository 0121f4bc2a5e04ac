// Truncated randomised SVD (Halko, Martinsson & Tropp 2011, algorithms 4.4 + 5.1), in plain
// TypeScript: the rank-K factorisation of a full finetune's weight diff.
//
//   A [m, n] (float32, row-major)  ~  Q Q^T A             range finder: l = K + p columns,
//   Y = A Ω,  Q = qr(Y)                                   q power iterations, each step
//   repeat q times: Q = qr(A^T Q), Q = qr(A Q)            re-orthonormalised (MGS, float64)
//   B = Q^T A [l, n];  B B^T = Ũ Λ Ũ^T (Jacobi)           σ_i^2 = Λ_i
//   A_K = (Q Ũ_K) (Ũ_K^T B)                               no division by σ anywhere
//
// Thin matrices are kept transposed ("Xt": l rows of length m or n) so every kernel walks
// contiguous memory, register-blocked (about 45 ms per pass over a 1024 x 3072 matrix here).
// Deterministic for a given seed.

export interface RsvdOptions {
  rank: number; // K
  oversample?: number; // p, default 10
  powerIters?: number; // q, default 2
  seed?: number; // Gaussian test matrix seed, default 0
}

export interface RsvdResult {
  rank: number; // K actually kept (min(K, m, n))
  /** Left factor times singular values, [n, K] row-major: column k is σ_k v_k. */
  left: Float64Array;
  /** Right factor, [K, m] row-major: row k is u_k (orthonormal rows). */
  right: Float64Array;
  /** σ_1^2 >= σ_2^2 >= ... for the K kept directions. */
  sigma2: Float64Array;
  /** ||A||_F^2 */
  total: number;
}

/** mulberry32 + Box-Muller: a seeded standard normal stream. */
function gaussian(seed: number): () => number {
  let s = seed >>> 0;
  const uniform = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

/**
 * Yt [l, m] with Yt[c, i] = sum_j A[i, j] Xt[c, j]   (Y = A X;  A [m, n], Xt [l, n]).
 * Register-blocked: two rows of A against four rows of Xt, eight independent dot products.
 */
function mulA(A: Float32Array, m: number, n: number, Xt: Float64Array, l: number): Float64Array {
  const Yt = new Float64Array(l * m);
  let i = 0;
  for (; i + 2 <= m; i += 2) {
    const r0 = i * n;
    const r1 = r0 + n;
    let c = 0;
    for (; c + 4 <= l; c += 4) {
      const x0 = c * n, x1 = x0 + n, x2 = x1 + n, x3 = x2 + n;
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      for (let j = 0; j < n; j++) {
        const a0 = A[r0 + j], a1 = A[r1 + j];
        const y0 = Xt[x0 + j], y1 = Xt[x1 + j], y2 = Xt[x2 + j], y3 = Xt[x3 + j];
        s00 += a0 * y0; s01 += a0 * y1; s02 += a0 * y2; s03 += a0 * y3;
        s10 += a1 * y0; s11 += a1 * y1; s12 += a1 * y2; s13 += a1 * y3;
      }
      Yt[c * m + i] = s00; Yt[(c + 1) * m + i] = s01; Yt[(c + 2) * m + i] = s02; Yt[(c + 3) * m + i] = s03;
      Yt[c * m + i + 1] = s10; Yt[(c + 1) * m + i + 1] = s11; Yt[(c + 2) * m + i + 1] = s12; Yt[(c + 3) * m + i + 1] = s13;
    }
    for (; c < l; c++) {
      const x0 = c * n;
      let s0 = 0, s1 = 0;
      for (let j = 0; j < n; j++) {
        const y = Xt[x0 + j];
        s0 += A[r0 + j] * y;
        s1 += A[r1 + j] * y;
      }
      Yt[c * m + i] = s0;
      Yt[c * m + i + 1] = s1;
    }
  }
  for (; i < m; i++) {
    for (let c = 0; c < l; c++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += A[i * n + j] * Xt[c * n + j];
      Yt[c * m + i] = s;
    }
  }
  return Yt;
}

/**
 * Zt [l, n] with Zt[c, j] = sum_i Xt[c, i] A[i, j]   (Z = Aᵀ X;  A [m, n], Xt [l, m]).
 * Register-blocked: four rows of A into four rows of Zt per sweep, so each Zt element is loaded
 * and stored once per four rows of A.
 */
function mulAt(A: Float32Array, m: number, n: number, Xt: Float64Array, l: number): Float64Array {
  const Zt = new Float64Array(l * n);
  let i = 0;
  for (; i + 4 <= m; i += 4) {
    const r0 = i * n, r1 = r0 + n, r2 = r1 + n, r3 = r2 + n;
    let c = 0;
    for (; c + 4 <= l; c += 4) {
      const b0 = c * m + i, b1 = b0 + m, b2 = b1 + m, b3 = b2 + m;
      const p0 = Xt[b0], p1 = Xt[b0 + 1], p2 = Xt[b0 + 2], p3 = Xt[b0 + 3];
      const q0 = Xt[b1], q1 = Xt[b1 + 1], q2 = Xt[b1 + 2], q3 = Xt[b1 + 3];
      const u0 = Xt[b2], u1 = Xt[b2 + 1], u2 = Xt[b2 + 2], u3 = Xt[b2 + 3];
      const v0 = Xt[b3], v1 = Xt[b3 + 1], v2 = Xt[b3 + 2], v3 = Xt[b3 + 3];
      const z0 = c * n, z1 = z0 + n, z2 = z1 + n, z3 = z2 + n;
      for (let j = 0; j < n; j++) {
        const a0 = A[r0 + j], a1 = A[r1 + j], a2 = A[r2 + j], a3 = A[r3 + j];
        Zt[z0 + j] += p0 * a0 + p1 * a1 + p2 * a2 + p3 * a3;
        Zt[z1 + j] += q0 * a0 + q1 * a1 + q2 * a2 + q3 * a3;
        Zt[z2 + j] += u0 * a0 + u1 * a1 + u2 * a2 + u3 * a3;
        Zt[z3 + j] += v0 * a0 + v1 * a1 + v2 * a2 + v3 * a3;
      }
    }
    for (; c < l; c++) {
      const b0 = c * m + i;
      const p0 = Xt[b0], p1 = Xt[b0 + 1], p2 = Xt[b0 + 2], p3 = Xt[b0 + 3];
      const z0 = c * n;
      for (let j = 0; j < n; j++) Zt[z0 + j] += p0 * A[r0 + j] + p1 * A[r1 + j] + p2 * A[r2 + j] + p3 * A[r3 + j];
    }
  }
  for (; i < m; i++) {
    for (let c = 0; c < l; c++) {
      const q = Xt[c * m + i];
      const z = c * n;
      for (let j = 0; j < n; j++) Zt[z + j] += q * A[i * n + j];
    }
  }
  return Zt;
}

/**
 * Orthonormalises the l rows of Xt [l, len] in place: modified Gram-Schmidt, run twice
 * ("twice is enough") so Q stays orthonormal to float64 precision even when columns of Y are
 * nearly dependent (a diff of rank < l). A row that vanishes becomes zero and stays out of the basis.
 */
function orthonormalise(Xt: Float64Array, l: number, len: number): void {
  for (let c = 0; c < l; c++) {
    const x = c * len;
    let before = 0;
    for (let j = 0; j < len; j++) before += Xt[x + j] * Xt[x + j];
    for (let pass = 0; pass < 2; pass++) {
      for (let d = 0; d < c; d++) {
        const y = d * len;
        let dot = 0;
        for (let j = 0; j < len; j++) dot += Xt[x + j] * Xt[y + j];
        if (dot === 0) continue;
        for (let j = 0; j < len; j++) Xt[x + j] -= dot * Xt[y + j];
      }
    }
    let norm = 0;
    for (let j = 0; j < len; j++) norm += Xt[x + j] * Xt[x + j];
    // What is left after removing the earlier directions is rounding noise: drop the row.
    if (norm <= before * 1e-24 || norm === 0) {
      Xt.fill(0, x, x + len);
      continue;
    }
    const inv = 1 / Math.sqrt(norm);
    for (let j = 0; j < len; j++) Xt[x + j] *= inv;
  }
}

/**
 * Eigen-decomposition of a symmetric l x l matrix S (row-major, overwritten) by cyclic Jacobi.
 * Returns eigenvalues and eigenvectors as columns of V [l, l], sorted by decreasing eigenvalue.
 */
export function symmetricEigen(S: Float64Array, l: number): { values: Float64Array; vectors: Float64Array } {
  const V = new Float64Array(l * l);
  for (let i = 0; i < l; i++) V[i * l + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let diag = 0;
    for (let p = 0; p < l; p++) {
      diag += S[p * l + p] * S[p * l + p];
      for (let q = p + 1; q < l; q++) off += S[p * l + q] * S[p * l + q];
    }
    if (off <= 1e-30 * diag || off === 0) break;
    for (let p = 0; p < l; p++) {
      for (let q = p + 1; q < l; q++) {
        const apq = S[p * l + q];
        if (apq === 0) continue;
        const app = S[p * l + p];
        const aqq = S[q * l + q];
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        // S = Jᵀ S J, rotating rows/columns p and q
        for (let k = 0; k < l; k++) {
          const skp = S[k * l + p];
          const skq = S[k * l + q];
          S[k * l + p] = c * skp - s * skq;
          S[k * l + q] = s * skp + c * skq;
        }
        for (let k = 0; k < l; k++) {
          const spk = S[p * l + k];
          const sqk = S[q * l + k];
          S[p * l + k] = c * spk - s * sqk;
          S[q * l + k] = s * spk + c * sqk;
        }
        for (let k = 0; k < l; k++) {
          const vkp = V[k * l + p];
          const vkq = V[k * l + q];
          V[k * l + p] = c * vkp - s * vkq;
          V[k * l + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: l }, (_, i) => i).sort((i, j) => S[j * l + j] - S[i * l + i]);
  const values = Float64Array.from(order, (i) => S[i * l + i]);
  const vectors = new Float64Array(l * l);
  order.forEach((src, dst) => {
    for (let k = 0; k < l; k++) vectors[k * l + dst] = V[k * l + src];
  });
  return { values, vectors };
}

/** Rank-K factorisation Aᵀ ~ left · right of A [m, n] (so A ~ rightᵀ · leftᵀ). */
export function randomisedSvd(A: Float32Array, m: number, n: number, opts: RsvdOptions): RsvdResult {
  if (A.length !== m * n) throw new Error(`randomisedSvd: matrix has ${A.length} values, expected ${m}x${n}`);
  const K = Math.min(opts.rank, m, n);
  const l = Math.min(K + (opts.oversample ?? 10), m, n);
  const q = opts.powerIters ?? 2;

  let total = 0;
  for (let i = 0; i < A.length; i++) total += A[i] * A[i];

  const normal = gaussian(opts.seed ?? 0);
  const Omega = new Float64Array(l * n); // Ωᵀ [l, n]
  for (let i = 0; i < Omega.length; i++) Omega[i] = normal();

  let Qt = mulA(A, m, n, Omega, l); // Yᵀ [l, m]
  orthonormalise(Qt, l, m);
  for (let it = 0; it < q; it++) {
    const Zt = mulAt(A, m, n, Qt, l); // (Aᵀ Q)ᵀ [l, n]
    orthonormalise(Zt, l, n);
    Qt = mulA(A, m, n, Zt, l); // (A Z)ᵀ [l, m]
    orthonormalise(Qt, l, m);
  }
  const B = mulAt(A, m, n, Qt, l); // B = Qᵀ A [l, n]

  const G = new Float64Array(l * l); // B Bᵀ
  for (let c = 0; c < l; c++) {
    for (let d = c; d < l; d++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += B[c * n + j] * B[d * n + j];
      G[c * l + d] = s;
      G[d * l + c] = s;
    }
  }
  const { values, vectors: U } = symmetricEigen(G, l);

  // left [n, K] = Bᵀ Ũ_K ;  right [K, m] = (Q Ũ_K)ᵀ
  const left = new Float64Array(n * K);
  const right = new Float64Array(K * m);
  for (let k = 0; k < K; k++) {
    for (let c = 0; c < l; c++) {
      const u = U[c * l + k];
      if (u === 0) continue;
      for (let j = 0; j < n; j++) left[j * K + k] += u * B[c * n + j];
      for (let i = 0; i < m; i++) right[k * m + i] += u * Qt[c * m + i];
    }
  }
  const sigma2 = Float64Array.from(values.subarray(0, K), (v) => Math.max(0, v));
  return { rank: K, left, right, sigma2, total };
}
