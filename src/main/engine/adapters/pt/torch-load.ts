// torch.save archives (the zip format torch has written since 1.6):
//   <archive>/data.pkl      the object tree, pickled; tensors are persistent references to storages
//   <archive>/data/<key>    one storage's raw little-endian bytes, STORED (64-byte aligned)
//   <archive>/version, <archive>/byteorder (torch >= 2.1), .data/serialization_id (newer) ...
// openTorchFile parses the pickle only; readTensorF32 reads one tensor's byte range on demand.
import { bf16ToF32, f16ToF32 } from '../../hf/safetensors.ts';
import { assertFinite } from '../../hf/finite.ts';
import { openFileSource, ZipReader, type OpenSource, type ZipLimits } from './zip.ts';
import { DTYPE_BYTES, unpickle, type PickleLimits, type PyValue, type TorchStorage, type TorchTensor } from './unpickle.ts';

export type { PyDict, PyKey, PyValue, TorchDtype, TorchStorage, TorchTensor } from './unpickle.ts';
export { isDict, isList, isTensor, isTuple } from './unpickle.ts';

export interface TorchFileOptions {
  /** how the file's bytes are read (tests inject a counting reader) */
  openSource?: OpenSource;
  zipLimits?: Partial<ZipLimits>;
  pickleLimits?: Partial<PickleLimits>;
  /** largest data.pkl accepted (a 256-diff shard of Qwen3-8B pickles to ~15 MB) */
  maxPickleBytes?: number;
  /**
   * largest tensor readTensorF32 returns, in elements. Default: the file's size in bytes (a view
   * cannot hold more float elements than that without broadcasting), at least 16 Mi, at most 1 Gi.
   */
  maxTensorElements?: number;
}

const DEFAULT_MAX_PICKLE_BYTES = 512 << 20;

export class TorchFile {
  readonly path: string;
  readonly root: PyValue;
  /** every storage the pickle references, by key, each checked against its zip entry */
  readonly storages: Map<string, TorchStorage>;
  private readonly zip: ZipReader;
  private readonly prefix: string;
  private readonly maxTensorElements: number;

  private constructor(path: string, zip: ZipReader, prefix: string, root: PyValue, storages: Map<string, TorchStorage>, maxTensorElements: number) {
    this.path = path;
    this.zip = zip;
    this.prefix = prefix;
    this.root = root;
    this.storages = storages;
    this.maxTensorElements = maxTensorElements;
  }

  static open(path: string, options: TorchFileOptions = {}): TorchFile {
    const openSource = options.openSource ?? openFileSource;
    checkMagic(path, openSource);
    const zip = ZipReader.open(path, { openSource, limits: options.zipLimits });
    const prefix = archivePrefix(zip);
    return zip.hold(() => {
      const byteorder = zip.entry(`${prefix}byteorder`);
      if (byteorder) {
        const order = byteorder.size <= 16 ? Buffer.from(zip.read(byteorder.name)).toString('latin1') : '?';
        if (order !== 'little') throw new Error(`${path}: tensors are stored ${JSON.stringify(order)}-endian; only little-endian files are read`);
      }
      // every DEFLATE entry within what its compressed bytes can honestly hold, before any inflating
      for (const e of zip.entries()) zip.checkInflatable(e);
      const pkl = zip.entry(`${prefix}data.pkl`)!;
      const maxPickle = options.maxPickleBytes ?? DEFAULT_MAX_PICKLE_BYTES;
      if (pkl.size > maxPickle) throw new Error(`${zip.where(pkl.name)} is ${pkl.size} bytes, over the ${maxPickle}-byte limit`);
      const { root, storages } = unpickle(zip.read(pkl.name), path, options.pickleLimits);
      for (const s of storages.values()) {
        const name = `${prefix}data/${s.key}`;
        const e = zip.entry(name);
        if (!e) throw new Error(`${zip.where(name)} is missing (the pickle references storage "${s.key}")`);
        const need = s.numel * DTYPE_BYTES[s.dtype];
        if (e.size !== need) throw new Error(`${zip.where(name)} has ${e.size} bytes, but ${s.numel} ${s.dtype} need ${need}`);
      }
      return new TorchFile(path, zip, prefix, root, storages, options.maxTensorElements ?? Math.min(2 ** 30, Math.max(2 ** 24, zip.size)));
    });
  }

  /** Runs fn with the file held open (one open for a batch of tensor reads). */
  hold<T>(fn: () => T): T {
    return this.zip.hold(fn);
  }

  /**
   * One tensor as contiguous row-major float32, from float32/float16/bfloat16/float64 storage.
   * Reads only the byte range of the storage the view touches; applies offset and strides.
   */
  readTensorF32(t: TorchTensor, what = 'tensor'): Float32Array {
    const where = `${this.path}: ${what}`;
    const numel = t.shape.reduce((a, b) => a * b, 1);
    if (numel > this.maxTensorElements) throw new Error(`${where} ${JSON.stringify(t.shape)} has ${numel} elements, over the ${this.maxTensorElements} limit`);
    if (!['float32', 'float16', 'bfloat16', 'float64'].includes(t.dtype)) throw new Error(`${where} is ${t.dtype}, not a float type (float32, float16, bfloat16, float64)`);
    if (numel === 0) return new Float32Array(0);
    const es = DTYPE_BYTES[t.dtype];
    // The elements the view touches lie in [first, last] (strides are non-negative; the VM checked the bounds).
    const first = t.storageOffset;
    let last = first;
    for (let i = 0; i < t.shape.length; i++) last += (t.shape[i] - 1) * t.stride[i];
    let raw = this.zip.read(`${this.prefix}data/${t.storage.key}`, first * es, (last + 1) * es);
    if (raw.byteOffset % es) raw = raw.slice();
    const span = last - first + 1;
    const src: Float32Array | Uint16Array | Float64Array =
      t.dtype === 'float32' ? new Float32Array(raw.buffer, raw.byteOffset, span)
        : t.dtype === 'float64' ? new Float64Array(raw.buffer, raw.byteOffset, span)
          : new Uint16Array(raw.buffer, raw.byteOffset, span);
    const dense = isContiguous(t.shape, t.stride) ? src : gather(src, t.shape, t.stride);
    return assertFinite(toF32(dense, t.dtype), this.path, what);
  }
}

function toF32(dense: Float32Array | Uint16Array | Float64Array, dtype: string): Float32Array {
  if (dtype === 'bfloat16') return bf16ToF32(dense as Uint16Array);
  if (dtype === 'float16') return f16ToF32(dense as Uint16Array);
  if (dtype === 'float64') return Float32Array.from(dense as Float64Array);
  return dense.byteOffset === 0 && dense.length * 4 === dense.buffer.byteLength ? (dense as Float32Array) : Float32Array.from(dense as Float32Array);
}

export function openTorchFile(path: string, options: TorchFileOptions = {}): TorchFile {
  return TorchFile.open(path, options);
}

/** A clear message for files that are not zip archives at all (torch's legacy format, other pickles). */
function checkMagic(path: string, openSource: OpenSource): void {
  const src = openSource(path);
  try {
    const head = new Uint8Array(Math.min(4, src.size));
    src.read(head, 0);
    if (head[0] === 0x50 && head[1] === 0x4b) return;
    if (head[0] === 0x80) throw new Error(`${path}: a bare pickle (torch's legacy pre-1.6 format or pickle.dump), not a torch.save zip archive; re-save it with a current torch.save`);
    throw new Error(`${path}: not a torch.save archive (no zip signature)`);
  } finally {
    src.close();
  }
}

/** torch.load takes the folder of the archive's records from its entries: "<name>/data.pkl". */
function archivePrefix(zip: ZipReader): string {
  const pkls = zip.entries().filter((e) => /^[^/]*\/data\.pkl$|^data\.pkl$/.test(e.name));
  if (pkls.length === 1) return pkls[0].name.slice(0, -'data.pkl'.length);
  if (pkls.length > 1) throw new Error(`${zip.path}: ${pkls.length} data.pkl records (${pkls.map((e) => JSON.stringify(e.name)).slice(0, 3).join(', ')}); expected one`);
  if (zip.entries().some((e) => /(^|\/)constants\.pkl$/.test(e.name))) {
    throw new Error(`${zip.path}: a TorchScript archive (torch.jit.save), not a torch.save file of tensors`);
  }
  throw new Error(`${zip.path}: zip archive without a data.pkl record: not a torch.save file`);
}

function isContiguous(shape: number[], stride: number[]): boolean {
  let expect = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && stride[i] !== expect) return false;
    expect *= shape[i];
  }
  return true;
}

/** Copies a strided view (relative to the first element it touches) into row-major order. */
function gather<T extends Float32Array | Uint16Array | Float64Array>(src: T, shape: number[], stride: number[]): T {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new (src.constructor as new (n: number) => T)(n);
  const nd = shape.length;
  const inner = shape[nd - 1];
  const innerStride = stride[nd - 1];
  const idx = new Array<number>(Math.max(0, nd - 1)).fill(0);
  let base = 0;
  for (let o = 0; o < n; o += inner) {
    for (let j = 0, s = base; j < inner; j++, s += innerStride) out[o + j] = src[s];
    // advance the outer multi-index like an odometer
    for (let d = nd - 2; d >= 0; d--) {
      idx[d]++;
      base += stride[d];
      if (idx[d] < shape[d]) break;
      base -= idx[d] * stride[d];
      idx[d] = 0;
    }
  }
  return out;
}
