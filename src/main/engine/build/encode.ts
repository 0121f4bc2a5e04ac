// How one chunk of a checkpoint tensor becomes the bytes of model.onnx.data: the unit of work the
// import hands to its worker threads. A chunk is whole rows of a [rows, cols] tensor as stored
// (Hugging Face's [out, in] for linears, [vocab, hidden] for embeddings).
import { f32ToF16 } from '../hf/safetensors.ts';
import { decodeFloats, nbitsLayout, quantiseRows, type NbitsSpec, type SourceDtype } from './quantize.ts';
import { transpose } from '../matrix.ts';

export type Encoding =
  | { kind: 'float'; type: 'f32' | 'f16' } // rows as stored
  | { kind: 'float-transposed'; type: 'f32' | 'f16' } // [cols, rows]: needs the whole tensor in one chunk
  | { kind: 'nbits'; spec: NbitsSpec }; // data, scales and (optionally) zero points, row by row

export interface ChunkRequest {
  bytes: Uint8Array; // rows * cols values of `dtype`
  dtype: SourceDtype;
  rows: number;
  cols: number;
  encoding: Encoding;
  label: string; // "model-00002-of-00009.safetensors: tensor \"...\"", for errors
  firstRow: number; // for errors
}

/** Bytes per row of each output part (data, scales, zero points) of an encoding. */
export function partsPerRow(cols: number, encoding: Encoding): number[] {
  if (encoding.kind !== 'nbits') return [cols * (encoding.type === 'f32' ? 4 : 2)];
  const L = nbitsLayout(cols, encoding.spec);
  return L.rowZeroBytes ? [L.rowDataBytes, L.rowScaleBytes, L.rowZeroBytes] : [L.rowDataBytes, L.rowScaleBytes];
}

const bytesOf = (a: Float32Array | Uint16Array | Uint8Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** Refuses NaN and infinities: a model holding them answers garbage, and the user should know why. */
function assertFiniteRows(values: Float32Array, req: ChunkRequest): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v - v !== 0) {
      const row = req.firstRow + Math.floor(i / req.cols);
      throw new Error(`${req.label} holds ${Number.isNaN(v) ? 'NaN' : v > 0 ? '+Infinity' : '-Infinity'} at [${row}, ${i % req.cols}]: the checkpoint is damaged`);
    }
  }
}

/** Encodes one chunk; returns its output parts in order (data, then scales and zero points for nbits). */
export function encodeChunk(req: ChunkRequest): Uint8Array[] {
  const values = decodeFloats(req.bytes, req.dtype);
  assertFiniteRows(values, req);
  const { encoding } = req;
  if (encoding.kind === 'nbits') {
    const q = quantiseRows(values, req.rows, req.cols, encoding.spec);
    return q.zeros ? [q.data, bytesOf(q.scales), q.zeros] : [q.data, bytesOf(q.scales)];
  }
  const ordered = encoding.kind === 'float-transposed' ? transpose(values, req.rows, req.cols) : values;
  return [bytesOf(encoding.type === 'f32' ? ordered : f32ToF16(ordered))];
}
