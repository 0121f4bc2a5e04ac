// Next-token choice: greedy, or sampled with temperature, top-k, top-p and a repetition penalty,
// from a seeded generator so that a (stack, prompt, settings, seed) reproduces its answer.

export interface SamplingOptions {
  temperature: number; // 0 = greedy
  topK: number; // 0 = no limit
  topP: number; // 1 = no limit
  repetitionPenalty: number; // 1 = none; >1 discourages tokens already in the prompt or answer
  seed: number;
}

export const GREEDY: SamplingOptions = { temperature: 0, topK: 0, topP: 1, repetitionPenalty: 1, seed: 0 };

/** xoshiro128** seeded through splitmix32: small, fast, and the same in every JS engine. */
export function createRng(seed: number): () => number {
  let z = seed >>> 0;
  const next = () => {
    z = (z + 0x9e3779b9) >>> 0;
    let t = z;
    t = Math.imul(t ^ (t >>> 16), 0x85ebca6b);
    t = Math.imul(t ^ (t >>> 13), 0xc2b2ae35);
    return (t ^ (t >>> 16)) >>> 0;
  };
  const s = [next(), next(), next(), next()];
  return () => {
    const result = Math.imul(((Math.imul(s[1], 5) << 7) | (Math.imul(s[1], 5) >>> 25)) >>> 0, 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = ((s[3] << 11) | (s[3] >>> 21)) >>> 0;
    return result / 4294967296;
  };
}

/** Transformers' rule: divide positive logits by the penalty, multiply negative ones. */
export function applyRepetitionPenalty(logits: Float32Array, seen: Iterable<number>, penalty: number): void {
  if (penalty === 1) return;
  for (const id of seen) {
    const v = logits[id];
    logits[id] = v < 0 ? v * penalty : v / penalty;
  }
}

export function argmax(logits: Float32Array): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  return best;
}

/** Indices of the k largest values, largest first (ties: lower index first). */
export function topIndices(values: Float32Array, k: number): number[] {
  if (k >= values.length) return Array.from(values.keys()).sort((x, y) => values[y] - values[x] || x - y);
  const heap: number[] = []; // min-heap by value of the k best so far
  const worse = (x: number, y: number) => values[x] < values[y] || (values[x] === values[y] && x > y);
  const siftDown = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && worse(heap[l], heap[m])) m = l;
      if (r < heap.length && worse(heap[r], heap[m])) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m], heap[i]];
      i = m;
    }
  };
  for (let i = 0; i < values.length; i++) {
    if (heap.length < k) {
      heap.push(i);
      for (let j = heap.length - 1; j > 0; ) {
        const p = (j - 1) >> 1;
        if (!worse(heap[j], heap[p])) break;
        [heap[j], heap[p]] = [heap[p], heap[j]];
        j = p;
      }
    } else if (worse(heap[0], i)) {
      heap[0] = i;
      siftDown(0);
    }
  }
  return heap.sort((x, y) => values[y] - values[x] || x - y);
}

/** log-softmax of one row, in float64 for a stable sum. */
export function logSoftmax(logits: Float32Array): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i] - max);
  const lse = max + Math.log(sum);
  const out = new Float64Array(logits.length);
  for (let i = 0; i < logits.length; i++) out[i] = logits[i] - lse;
  return out;
}

/**
 * Chooses the next token from one row of logits (modified in place by the penalty).
 * `seen`: token ids of the prompt and answer so far.
 */
export function pickToken(logits: Float32Array, seen: Iterable<number>, opts: SamplingOptions, rng: () => number): number {
  applyRepetitionPenalty(logits, seen, opts.repetitionPenalty);
  if (opts.temperature <= 0) return argmax(logits);
  if (opts.topK <= 0 && opts.topP >= 1) return sampleAll(logits, opts.temperature, rng);
  const candidates = topIndices(logits, opts.topK > 0 ? opts.topK : logits.length);
  const max = logits[candidates[0]];
  const weights = candidates.map((id) => Math.exp((logits[id] - max) / opts.temperature));
  const total = weights.reduce((a, b) => a + b, 0);
  // nucleus: the smallest prefix whose mass reaches top_p (always at least one token)
  let keep = candidates.length;
  if (opts.topP < 1) {
    let mass = 0;
    for (let i = 0; i < candidates.length; i++) {
      mass += weights[i] / total;
      if (mass >= opts.topP) {
        keep = i + 1;
        break;
      }
    }
  }
  const kept = weights.slice(0, keep);
  let r = rng() * kept.reduce((a, b) => a + b, 0);
  for (let i = 0; i < keep; i++) {
    r -= kept[i];
    if (r < 0) return candidates[i];
  }
  return candidates[keep - 1];
}

/** Plain temperature sampling over the whole vocabulary: no sort needed. */
function sampleAll(logits: Float32Array, temperature: number, rng: () => number): number {
  const max = logits[argmax(logits)];
  const w = new Float64Array(logits.length);
  let total = 0;
  for (let i = 0; i < logits.length; i++) total += w[i] = Math.exp((logits[i] - max) / temperature);
  let r = rng() * total;
  for (let i = 0; i < w.length; i++) {
    r -= w[i];
    if (r < 0) return i;
  }
  return argmax(logits);
}
