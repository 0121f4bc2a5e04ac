// Precisions as plug-ins: how weights are stored and how a linear layer and an embedding are
// emitted. Every large weight is stored as the checkpoint holds it, [out, in] row by row, so no
// precision but fp16 transposes anything:
//   fp32   FusedMatMul(x, W, transB=1); the tied head reads the embedding table itself
//   fp16   MatMul(x, Wᵀ) with Wᵀ written transposed (the GPU path; CPU kernels upcast fp16)
//   int8   MatMulNBits bits 8, symmetric blocks (no zero points), like llama.cpp's Q8_0
//   int4   MatMulNBits bits 4, blocks with zero points, like llama.cpp's Q4_1
// The quantised embedding table is read by GatherBlockQuantized, and a tied head is a
// MatMulNBits over the same bytes (aliased initializers), so the table is stored once.
import { DataType } from './onnx.ts';
import type { DataTypeId, TensorProto } from './onnx.ts';
import type { Graph } from './graph.ts';
import type { SourceTensor, WeightFile } from './weight-file.ts';
import { f32ToF16 } from '../hf/safetensors.ts';
import { nbitsLayout, type Bits, type NbitsSpec } from './quantize.ts';

export const PRECISION_IDS = ['fp32', 'fp16', 'int8', 'int4'] as const;
export type PrecisionId = (typeof PRECISION_IDS)[number];

/** The default block of MatMulNBits: 32 values per scale, as llama.cpp's Q4_0/Q8_0. */
export const DEFAULT_BLOCK_SIZE = 32;

/** A [rows, cols] weight as stored, ready to be gathered from or multiplied with. */
export interface StoredWeight {
  rows: number;
  cols: number;
  tensors: TensorProto[]; // as the precision stored them
}

export interface Precision {
  id: PrecisionId;
  /** Element type of activations, KV cache and dense weights. */
  floatType: DataTypeId;
  /** MatMulNBits settings, for quantised precisions. */
  nbits?: NbitsSpec & { accuracyLevel: number };
  /** Weight bytes of a [rows, cols] matrix in this precision. */
  matrixBytes(rows: number, cols: number): number;
  /** Stores a small dense tensor (norm weights, RoPE tables) in the activation type, now. */
  dense(file: WeightFile, name: string, dims: number[], data: Float32Array): string;
  /** y = x Wᵀ for a checkpoint matrix W [out, in]; returns the output name. */
  linear(g: Graph, file: WeightFile, path: string, x: string, w: SourceTensor): string;
  /** Stores an embedding table [vocab, hidden] for gather (and a tied head). */
  table(file: WeightFile, name: string, w: SourceTensor): StoredWeight;
  /** Rows of a stored table at `ids`: [batch, seq, hidden] in floatType. */
  gather(g: Graph, path: string, t: StoredWeight, ids: string): string;
  /** The output projection tied to table `t` (stored from `w`): shares its bytes where it can. */
  tiedHead(g: Graph, file: WeightFile, path: string, x: string, t: StoredWeight, w: SourceTensor): string;
}

const asBytes = (d: Float32Array) => new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
const asHalfBytes = (d: Float32Array) => {
  const h = f32ToF16(d);
  return new Uint8Array(h.buffer, h.byteOffset, h.byteLength);
};

function storeFloat(file: WeightFile, name: string, w: SourceTensor, type: 'f32' | 'f16'): StoredWeight {
  const dataType = type === 'f32' ? DataType.FLOAT : DataType.FLOAT16;
  const { tensor, offset } = file.reserve(name, dataType, [w.rows, w.cols], w.rows * w.cols * (type === 'f32' ? 4 : 2));
  file.convert({ source: w, encoding: { kind: 'float', type }, targets: [offset] });
  return { rows: w.rows, cols: w.cols, tensors: [tensor] };
}

const gatherRows = (g: Graph, path: string, t: StoredWeight, ids: string) => g.op('Gather', path, [t.tensors[0].name!, ids]);

// MatMul's kernel packs Wᵀ at load as it packs W: the same speed, with no transpose at import
const fusedMatMul = (g: Graph, path: string, x: string, t: StoredWeight) =>
  g.ms('FusedMatMul', path, [x, t.tensors[0].name!], { transA: 0, transB: 1, alpha: { float: 1 } })[0];

const fp32: Precision = {
  id: 'fp32',
  floatType: DataType.FLOAT,
  matrixBytes: (rows, cols) => rows * cols * 4,
  dense: (file, name, dims, data) => file.add(name, DataType.FLOAT, dims, asBytes(data)).name!,
  linear: (g, file, path, x, w) => fusedMatMul(g, path, x, storeFloat(file, `${path}.weight`, w, 'f32')),
  table: (file, name, w) => storeFloat(file, name, w, 'f32'),
  gather: gatherRows,
  tiedHead: (g, _file, path, x, t) => fusedMatMul(g, path, x, t),
};

/**
 * fp16 for GPU providers: MatMul over Wᵀ [in, out], the layout every provider's MatMul takes
 * (FusedMatMul has no fp16 CPU kernel). Wᵀ is written by a worker that holds one whole tensor.
 */
function fp16Linear(g: Graph, file: WeightFile, path: string, x: string, w: SourceTensor): string {
  const { tensor, offset } = file.reserve(`${path}.weight`, DataType.FLOAT16, [w.cols, w.rows], w.rows * w.cols * 2);
  file.convert({ source: w, encoding: { kind: 'float-transposed', type: 'f16' }, targets: [offset] });
  return g.op('MatMul', path, [x, tensor.name!]);
}

const fp16: Precision = {
  id: 'fp16',
  floatType: DataType.FLOAT16,
  matrixBytes: (rows, cols) => rows * cols * 2,
  dense: (file, name, dims, data) => file.add(name, DataType.FLOAT16, dims, asHalfBytes(data)).name!,
  linear: fp16Linear,
  table: (file, name, w) => storeFloat(file, name, w, 'f16'),
  gather: gatherRows,
  tiedHead: (g, file, path, x, _t, w) => fp16Linear(g, file, path, x, w),
};

/**
 * MatMulNBits precisions. `accuracy_level` 4 quantises activations to int8 per block and runs
 * integer dot products: on this kind of CPU 2-4x faster than level 0 at bits 4, and several
 * hundred times faster at bits 8 (docs/engine.md has the probe).
 */
/** accuracy_level 4: int8 activations and integer dot products, the fast path (docs/engine.md). */
export const DEFAULT_ACCURACY_LEVEL = 4;

function nbitsPrecision(id: 'int8' | 'int4', bits: Bits, zeroPoints: boolean, block: number, accuracyLevel: number): Precision {
  const spec: NbitsSpec = { bits, block, zeroPoints };
  const layout = (cols: number) => nbitsLayout(cols, spec);
  /**
   * Reserves and queues a quantised matrix. A table is reserved in GatherBlockQuantized's dims and
   * a tied head aliases it in MatMulNBits' dims; a linear is reserved in MatMulNBits' dims at once.
   */
  const store = (file: WeightFile, name: string, w: SourceTensor, use: 'gather' | 'matmul'): StoredWeight => {
    const L = layout(w.cols);
    const gather = use === 'gather';
    const data = file.reserve(`${name}.${gather ? 'quant' : 'B'}`, DataType.UINT8, gather ? [w.rows, L.rowDataBytes] : [w.rows, L.blocks, L.blobBytes], w.rows * L.rowDataBytes);
    const scales = file.reserve(`${name}.${gather ? 'scales' : 'B_scales'}`, DataType.FLOAT, gather ? [w.rows, L.blocks] : [w.rows * L.blocks], w.rows * L.rowScaleBytes);
    const parts = [data, scales];
    if (zeroPoints) {
      const zeroName = `${name}.${gather ? 'zero_points' : 'B_zero_points'}`;
      parts.push(file.reserve(zeroName, DataType.UINT8, gather ? [w.rows, L.rowZeroBytes] : [w.rows * L.rowZeroBytes], w.rows * L.rowZeroBytes));
    }
    file.convert({ source: w, encoding: { kind: 'nbits', spec }, targets: parts.map((p) => p.offset) });
    return { rows: w.rows, cols: w.cols, tensors: parts.map((p) => p.tensor) };
  };
  const matmul = (g: Graph, path: string, x: string, t: StoredWeight): string =>
    g.ms('MatMulNBits', path, [x, ...t.tensors.map((p) => p.name!)], { K: t.cols, N: t.rows, bits, block_size: block, accuracy_level: accuracyLevel })[0];
  /** The table's bytes seen in MatMulNBits' dims: the tied head stores nothing of its own. */
  const asMatmul = (file: WeightFile, path: string, t: StoredWeight): StoredWeight => {
    const L = layout(t.cols);
    const [data, scales, zeros] = t.tensors;
    const tensors = [file.alias(`${path}.B`, [t.rows, L.blocks, L.blobBytes], data), file.alias(`${path}.B_scales`, [t.rows * L.blocks], scales)];
    if (zeros) tensors.push(file.alias(`${path}.B_zero_points`, [t.rows * L.rowZeroBytes], zeros));
    return { ...t, tensors };
  };
  return {
    id,
    floatType: DataType.FLOAT,
    nbits: { ...spec, accuracyLevel },
    matrixBytes: (rows, cols) => {
      const L = layout(cols);
      return rows * (L.rowDataBytes + L.rowScaleBytes + L.rowZeroBytes);
    },
    dense: fp32.dense,
    linear: (g, file, path, x, w) => matmul(g, path, x, store(file, path, w, 'matmul')),
    table: (file, name, w) => store(file, name, w, 'gather'),
    gather(g, path, t, ids) {
      const inputs = [t.tensors[0].name!, ids, t.tensors[1].name!];
      if (t.tensors[2]) inputs.push(t.tensors[2].name!);
      return g.ms('GatherBlockQuantized', path, inputs, { gather_axis: 0, quantize_axis: 1, block_size: block, bits })[0];
    },
    tiedHead: (g, file, path, x, t) => matmul(g, path, x, asMatmul(file, path, t)),
  };
}

/**
 * The precision `id`, with `blockSize` values per scale for the quantised ones. accuracyLevel 0
 * (float activations) is exact to the stored weights but far slower: tests check layouts with it.
 */
export function precisionFor(id: PrecisionId, blockSize = DEFAULT_BLOCK_SIZE, accuracyLevel = DEFAULT_ACCURACY_LEVEL): Precision {
  switch (id) {
    case 'fp32':
      return fp32;
    case 'fp16':
      return fp16;
    case 'int8':
      return nbitsPrecision('int8', 8, false, blockSize, accuracyLevel);
    case 'int4':
      return nbitsPrecision('int4', 4, true, blockSize, accuracyLevel);
    default:
      throw new Error(`precision "${id as string}": not one of ${PRECISION_IDS.join(', ')}`);
  }
}

export function isPrecisionId(s: string): s is PrecisionId {
  return (PRECISION_IDS as readonly string[]).includes(s);
}
