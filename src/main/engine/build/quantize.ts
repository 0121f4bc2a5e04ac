// Block quantisation of [rows, cols] weights in the layout onnxruntime's MatMulNBits and
// GatherBlockQuantized read, and decoding of checkpoint bytes to float32. Pure functions over
// typed arrays: the import's worker threads run them on chunks of rows.
//
// One row (an output feature of a linear, a token of an embedding table) is cut into blocks of
// `block` values along `cols`; each block has a float32 scale and, when zero points are kept, a
// `bits`-wide zero point z, so that w ≈ (q - z) * scale with q in [0, 2^bits).
//
//   data   uint8 [rows, blocks, block * bits / 8]   q packed low nibble first (bits 4)
//   scales f32   [rows, blocks]
//   zeros  uint8 [rows, ceil(blocks * bits / 8)]    z packed low nibble first (bits 4); absent:
//                                                   z = 2^(bits-1) for every block (symmetric)
import { bf16ToF32, f16ToF32 } from '../hf/safetensors.ts';

export type Bits = 4 | 8;
export type SourceDtype = 'F32' | 'F16' | 'BF16';

export interface NbitsSpec {
  bits: Bits;
  block: number;
  zeroPoints: boolean;
}

export interface NbitsLayout {
  blocks: number; // per row
  blobBytes: number; // bytes of one block's packed values
  rowDataBytes: number;
  rowScaleBytes: number;
  rowZeroBytes: number; // 0 without zero points
}

export function nbitsLayout(cols: number, { bits, block, zeroPoints }: NbitsSpec): NbitsLayout {
  if (!Number.isInteger(block) || block < 16 || (block & (block - 1)) !== 0) {
    throw new Error(`block size ${block}: must be a power of two, at least 16`);
  }
  const blocks = Math.ceil(cols / block);
  const blobBytes = (block * bits) / 8;
  return {
    blocks,
    blobBytes,
    rowDataBytes: blocks * blobBytes,
    rowScaleBytes: blocks * 4,
    rowZeroBytes: zeroPoints ? Math.ceil((blocks * bits) / 8) : 0,
  };
}

export interface QuantisedRows {
  data: Uint8Array;
  scales: Float32Array;
  zeros: Uint8Array | null;
}

/**
 * Quantises `rows` rows of `cols` float32 values. With zero points the block's range [min, max]
 * (stretched to hold 0, so that 0 stays exact) maps onto [0, 2^bits - 1]; without, the value of
 * largest magnitude maps onto -2^(bits-1) (the symmetric scheme of llama.cpp's Q4_0 and Q8_0).
 * A partial last block is padded with zeros.
 */
export function quantiseRows(src: Float32Array, rows: number, cols: number, spec: NbitsSpec): QuantisedRows {
  const { bits, block, zeroPoints } = spec;
  const L = nbitsLayout(cols, spec);
  const data = new Uint8Array(rows * L.rowDataBytes);
  const scales = new Float32Array(rows * L.blocks);
  const zeros = zeroPoints ? new Uint8Array(rows * L.rowZeroBytes) : null;
  const qmax = (1 << bits) - 1;
  const mid = 1 << (bits - 1);
  for (let r = 0; r < rows; r++) {
    const rowIn = r * cols;
    for (let b = 0; b < L.blocks; b++) {
      const start = rowIn + b * block;
      const end = rowIn + Math.min(cols, (b + 1) * block);
      let scale: number;
      let zero: number;
      if (zeroPoints) {
        let lo = 0;
        let hi = 0;
        for (let i = start; i < end; i++) {
          const v = src[i];
          if (v < lo) lo = v;
          else if (v > hi) hi = v;
        }
        scale = (hi - lo) / qmax;
        zero = scale > 0 ? Math.min(qmax, Math.max(0, Math.round(-lo / scale))) : 0;
      } else {
        let peak = 0;
        for (let i = start; i < end; i++) if (Math.abs(src[i]) > Math.abs(peak)) peak = src[i];
        scale = peak / -mid; // the peak lands on q = 0, i.e. -2^(bits-1) after the zero point
        zero = mid;
      }
      const inv = scale !== 0 ? 1 / scale : 0;
      scales[r * L.blocks + b] = scale;
      if (zeros) {
        if (bits === 8) zeros[r * L.rowZeroBytes + b] = zero;
        else zeros[r * L.rowZeroBytes + (b >> 1)] |= zero << ((b & 1) * 4);
      }
      const out = r * L.rowDataBytes + b * L.blobBytes;
      if (bits === 8) {
        for (let i = start; i < end; i++) {
          const q = Math.round(src[i] * inv) + zero;
          data[out + i - start] = q < 0 ? 0 : q > qmax ? qmax : q;
        }
      } else {
        for (let i = start; i < end; i++) {
          let q = Math.round(src[i] * inv) + zero;
          q = q < 0 ? 0 : q > qmax ? qmax : q;
          const k = i - start;
          data[out + (k >> 1)] |= q << ((k & 1) * 4);
        }
        // padding of a partial block: the zero point, so that it dequantises to 0
        for (let k = end - start; k < block; k++) data[out + (k >> 1)] |= zero << ((k & 1) * 4);
      }
      if (bits === 8) for (let k = end - start; k < block; k++) data[out + k] = zero;
    }
  }
  return { data, scales, zeros };
}

/** The float32 values a quantised row block stands for (tests and the reference use this). */
export function dequantiseRows(q: QuantisedRows, rows: number, cols: number, spec: NbitsSpec): Float32Array {
  const L = nbitsLayout(cols, spec);
  const out = new Float32Array(rows * cols);
  const mid = 1 << (spec.bits - 1);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const b = Math.floor(c / spec.block);
      const k = c - b * spec.block;
      const at = r * L.rowDataBytes + b * L.blobBytes;
      const v = spec.bits === 8 ? q.data[at + k] : (q.data[at + (k >> 1)] >> ((k & 1) * 4)) & 15;
      let z = mid;
      if (q.zeros) z = spec.bits === 8 ? q.zeros[r * L.rowZeroBytes + b] : (q.zeros[r * L.rowZeroBytes + (b >> 1)] >> ((b & 1) * 4)) & 15;
      out[r * cols + c] = (v - z) * q.scales[r * L.blocks + b];
    }
  }
  return out;
}

/** Checkpoint bytes (little-endian) of one dtype as float32. */
export function decodeFloats(bytes: Uint8Array, dtype: SourceDtype): Float32Array {
  if (bytes.byteOffset % 4 !== 0) bytes = bytes.slice();
  if (dtype === 'F32') return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const halves = new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2);
  return dtype === 'BF16' ? bf16ToF32(halves) : f16ToF32(halves);
}
