// Rotary position tables fed to RotaryEmbedding on q and k: cos/sin [maxPositions, headDim/2].
// Frequencies follow transformers' rope initialisers (default, linear, llama3).
import type { RopeScaling } from '../hf/config.ts';

export function inverseFrequencies(headDim: number, theta: number, scaling: RopeScaling | null): Float64Array {
  const half = headDim / 2;
  const inv = new Float64Array(half);
  for (let i = 0; i < half; i++) inv[i] = 1 / theta ** ((2 * i) / headDim);
  if (!scaling) return inv;
  if (scaling.type === 'linear') return inv.map((f) => f / scaling.factor);
  // llama3: long wavelengths are slowed by `factor`, short ones kept, the band between blended.
  const { factor, lowFreqFactor, highFreqFactor, originalMaxPositionEmbeddings: orig } = scaling;
  const lowWavelen = orig / lowFreqFactor;
  const highWavelen = orig / highFreqFactor;
  return inv.map((f) => {
    const wavelen = (2 * Math.PI) / f;
    if (wavelen < highWavelen) return f;
    if (wavelen > lowWavelen) return f / factor;
    const smooth = (orig / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
    return (1 - smooth) * (f / factor) + smooth * f;
  });
}

/** cos and sin tables, [maxPositions, headDim/2] row-major. */
export function rotaryTables(headDim: number, theta: number, scaling: RopeScaling | null, maxPositions: number) {
  const inv = inverseFrequencies(headDim, theta, scaling);
  const half = headDim / 2;
  const cos = new Float32Array(maxPositions * half);
  const sin = new Float32Array(maxPositions * half);
  for (let p = 0; p < maxPositions; p++) {
    for (let i = 0; i < half; i++) {
      // transformers computes the angle in float32 (position * inv_freq); do the same
      const angle = Math.fround(Math.fround(p) * Math.fround(inv[i]));
      cos[p * half + i] = Math.cos(angle);
      sin[p * half + i] = Math.sin(angle);
    }
  }
  return { cos, sin };
}
