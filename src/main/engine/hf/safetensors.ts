// Safetensors files: read a checkpoint one tensor at a time, write one tensor at a time.
// Layout: [u64 LE header length N][N bytes of JSON header][data]; every tensor's
// data_offsets are [begin, end) relative to the start of the data (byte 8 + N).
// Files can be many GB, so nothing here reads or builds a whole file in memory.
import { closeSync, existsSync, fstatSync, openSync, readdirSync, readFileSync, readSync, statSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';
import { openRegularFile } from './bounded-read.ts';
import { endianness } from 'node:os';

/** Element types of the safetensors format, with their size in bytes. */
const DTYPE_BYTES = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U64: 8,
  U32: 4,
  U16: 2,
  U8: 1,
  BOOL: 1,
  F8_E4M3: 1,
  F8_E5M2: 1,
} as const;
export type Dtype = keyof typeof DTYPE_BYTES;
/** Dtypes that readF32 converts and writeSafetensors writes. */
export type FloatDtype = 'F32' | 'F16' | 'BF16';

export interface TensorInfo {
  dtype: Dtype;
  shape: number[];
  byteLength: number;
}

interface Entry extends TensorInfo {
  begin: number; // absolute byte offset in the file
}

/** A header larger than this is not a real checkpoint (the biggest real ones are a few MB). */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;
/** fs.readSync/writeSync take at most 2 GiB per call. */
const IO_CHUNK = 1 << 30;

// Every typed-array view below reinterprets file bytes directly.
if (endianness() !== 'LE') throw new Error('safetensors: only little-endian hosts are supported');

function isDtype(s: unknown): s is Dtype {
  return typeof s === 'string' && Object.hasOwn(DTYPE_BYTES, s);
}

function readFully(fd: number, into: Uint8Array, position: number, label: string): void {
  let done = 0;
  while (done < into.length) {
    const n = readSync(fd, into, done, Math.min(IO_CHUNK, into.length - done), position + done);
    if (n === 0) throw new Error(`${label}: file ends after ${position + done} bytes, ${into.length - done} bytes short`);
    done += n;
  }
}

function writeFully(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) {
    done += writeSync(fd, bytes, done, Math.min(IO_CHUNK, bytes.length - done));
  }
}

/** One .safetensors file, opened by its header only. */
export class SafetensorsFile {
  readonly path: string;
  readonly metadata: Record<string, string>;
  private fd: number | null;
  private readonly entries: Map<string, Entry>;

  private constructor(path: string, fd: number, entries: Map<string, Entry>, metadata: Record<string, string>) {
    this.path = path;
    this.fd = fd;
    this.entries = entries;
    this.metadata = metadata;
  }

  static open(path: string): SafetensorsFile {
    const label = basename(path);
    let fd: number;
    try {
      fd = openRegularFile(path); // a FIFO or a device would block or never end
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new Error(code ? `${path}: cannot open (${code})` : (e as Error).message);
    }
    try {
      const { entries, metadata } = parseHeader(fd, fstatSync(fd).size, label);
      return new SafetensorsFile(path, fd, entries, metadata);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  info(name: string): TensorInfo {
    const { dtype, shape, byteLength } = this.entry(name);
    return { dtype, shape: [...shape], byteLength };
  }

  /** Where a 2-D float tensor's bytes lie, for readers that stream it in chunks of rows. */
  locate(name: string): { name: string; path: string; begin: number; dtype: FloatDtype; rows: number; cols: number } {
    const e = this.entry(name);
    if (e.dtype !== 'F32' && e.dtype !== 'F16' && e.dtype !== 'BF16') {
      throw new Error(`${basename(this.path)}: tensor "${name}" has dtype ${e.dtype}, not a float type (F32, F16, BF16)`);
    }
    if (e.shape.length !== 2) throw new Error(`${basename(this.path)}: tensor "${name}" has shape ${JSON.stringify(e.shape)}, not a matrix`);
    return { name, path: this.path, begin: e.begin, dtype: e.dtype, rows: e.shape[0], cols: e.shape[1] };
  }

  /** The tensor's bytes as stored (little-endian), in a fresh, aligned buffer. */
  readRaw(name: string): Uint8Array {
    const e = this.entry(name);
    const out = new Uint8Array(e.byteLength);
    readFully(this.openFd(), out, e.begin, `${basename(this.path)}: tensor "${name}"`);
    return out;
  }

  /** The tensor as float32, converted from F32, F16 or BF16. */
  readF32(name: string): Float32Array {
    const e = this.entry(name);
    if (e.dtype === 'F32') return new Float32Array(this.readRaw(name).buffer);
    if (e.dtype === 'F16') return f16ToF32(new Uint16Array(this.readRaw(name).buffer));
    if (e.dtype === 'BF16') return bf16ToF32(new Uint16Array(this.readRaw(name).buffer));
    throw new Error(`${basename(this.path)}: tensor "${name}" has dtype ${e.dtype}, not a float type readF32 converts (F32, F16, BF16)`);
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private entry(name: string): Entry {
    const e = this.entries.get(name);
    if (!e) throw new Error(`${basename(this.path)}: no tensor "${name}"`);
    return e;
  }

  private openFd(): number {
    if (this.fd === null) throw new Error(`${basename(this.path)}: file is closed`);
    return this.fd;
  }
}

function parseHeader(
  fd: number,
  fileSize: number,
  label: string,
): { entries: Map<string, Entry>; metadata: Record<string, string> } {
  if (fileSize < 8) throw new Error(`${label}: not a safetensors file: ${fileSize} bytes, too short for the 8-byte header length`);
  const lenBytes = new Uint8Array(8);
  readFully(fd, lenBytes, 0, label);
  const headerLen = Number(new DataView(lenBytes.buffer).getBigUint64(0, true));
  if (headerLen > MAX_HEADER_BYTES) throw new Error(`${label}: not a safetensors file: header length ${headerLen} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  if (8 + headerLen > fileSize) throw new Error(`${label}: not a safetensors file: header length ${headerLen} runs past the end of the file (${fileSize} bytes)`);
  const headerBytes = new Uint8Array(headerLen);
  readFully(fd, headerBytes, 8, label);

  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch (e) {
    throw new Error(`${label}: not a safetensors file: header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new Error(`${label}: not a safetensors file: header is not a JSON object`);
  }

  const dataStart = 8 + headerLen;
  const entries = new Map<string, Entry>();
  const metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`${label}: "__metadata__" is not an object`);
      for (const [k, v] of Object.entries(raw)) {
        if (typeof v !== 'string') throw new Error(`${label}: "__metadata__.${k}" is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    entries.set(name, parseEntry(name, raw, dataStart, fileSize, label));
  }

  // Tensors may be listed in any order; sort by offset to find overlaps in one pass.
  const sorted = [...entries].sort((a, b) => a[1].begin - b[1].begin);
  for (let i = 1; i < sorted.length; i++) {
    const [prevName, prev] = sorted[i - 1];
    const [name, cur] = sorted[i];
    if (cur.begin < prev.begin + prev.byteLength) {
      throw new Error(`${label}: tensor "${name}" overlaps tensor "${prevName}" (data offsets ${cur.begin - dataStart} < ${prev.begin + prev.byteLength - dataStart})`);
    }
  }
  return { entries, metadata };
}

function parseEntry(name: string, raw: unknown, dataStart: number, fileSize: number, label: string): Entry {
  const where = `${label}: tensor "${name}"`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`${where} is not an object`);
  const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>;
  if (!isDtype(dtype)) throw new Error(`${where} has unknown dtype ${JSON.stringify(dtype)}`);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new Error(`${where} has an invalid shape ${JSON.stringify(shape)}`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
    throw new Error(`${where} has invalid data_offsets ${JSON.stringify(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  const numel = (shape as number[]).reduce((a, b) => a * b, 1);
  const expected = numel * DTYPE_BYTES[dtype];
  if (end < begin) throw new Error(`${where} has data_offsets [${begin}, ${end}] that end before they begin`);
  if (end - begin !== expected) {
    throw new Error(`${where} has ${end - begin} bytes but ${dtype} ${JSON.stringify(shape)} needs ${expected}`);
  }
  if (dataStart + end > fileSize) {
    throw new Error(`${where} ends at byte ${dataStart + end} but the file has ${fileSize} bytes`);
  }
  return { dtype, shape: shape as number[], byteLength: expected, begin: dataStart + begin };
}

// ---- dtype conversion (hot loops: plain typed-array code, no per-element allocation) ----

let f16Table: Float32Array | null = null;

/** float32 value of every one of the 65536 half-precision bit patterns. */
function halfTable(): Float32Array {
  if (f16Table) return f16Table;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const mant = h & 0x3ff;
    if (exp === 0) t[h] = sign * mant * 2 ** -24; // zero and subnormals
    else if (exp === 0x1f) t[h] = mant ? NaN : sign * Infinity;
    else t[h] = sign * (1 + mant / 1024) * 2 ** (exp - 15);
  }
  f16Table = t;
  return t;
}

export function f16ToF32(src: Uint16Array): Float32Array {
  const table = halfTable();
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = table[src[i]];
  return out;
}

export function bf16ToF32(src: Uint16Array): Float32Array {
  // bf16 is the top half of a float32: shift the bits into place.
  const out = new Uint32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = src[i] << 16;
  return new Float32Array(out.buffer);
}

export function f32ToBf16(src: Float32Array): Uint16Array {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  const out = new Uint16Array(src.length);
  for (let i = 0; i < bits.length; i++) {
    const x = bits[i];
    if ((x & 0x7fffffff) > 0x7f800000) {
      out[i] = (x >>> 16) | 0x40; // NaN: keep it NaN even if its payload sits in the dropped half
    } else {
      // Round to nearest, ties to even: add 0x7fff plus the lowest kept bit, then truncate.
      out[i] = (x + 0x7fff + ((x >>> 16) & 1)) >>> 16;
    }
  }
  return out;
}

export function f32ToF16(src: Float32Array): Uint16Array {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  const out = new Uint16Array(src.length);
  for (let i = 0; i < bits.length; i++) out[i] = f32BitsToF16Bits(bits[i]);
  return out;
}

/** One float32 bit pattern to half precision, rounding to nearest even (overflow -> inf). */
function f32BitsToF16Bits(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 | (mant >>> 13) : 0);
  const e = exp - 127 + 15; // rebased exponent
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal half (or zero): shift the full significand down, rounding on the dropped bits.
    const shift = 14 - e;
    if (shift > 24) return sign;
    const m = mant | 0x800000;
    let r = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && r & 1)) r++;
    return sign | r; // r may carry into 0x400: the smallest normal, which is right
  }
  let r = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && r & 1)) r++; // a carry into the exponent is right too (up to inf)
  return sign | r;
}

// ---- writing ----

export interface TensorToWrite {
  name: string;
  dtype: FloatDtype;
  shape: number[];
  /** float32 values, or a function producing them when the tensor's turn comes (keeps memory to one tensor). */
  data: Float32Array | (() => Float32Array);
}

/**
 * Writes a safetensors file tensor by tensor, converting float32 data to each tensor's dtype.
 * onProgress(doneBytes, totalBytes) is called after each tensor.
 */
export function writeSafetensors(
  path: string,
  tensors: TensorToWrite[],
  metadata: Record<string, string> = {},
  onProgress?: (doneBytes: number, totalBytes: number) => void,
): void {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  const seen = new Set<string>();
  for (const t of tensors) {
    if (seen.has(t.name)) throw new Error(`${basename(path)}: tensor "${t.name}" is listed twice`);
    seen.add(t.name);
    const bytes = t.shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[t.dtype];
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const total = offset;
  let json = JSON.stringify(header);
  // Pad with spaces so the data starts 8-byte aligned (what the reference writer does).
  const jsonBytes = Buffer.byteLength(json);
  json += ' '.repeat((8 - (jsonBytes % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const lenBytes = Buffer.alloc(8);
  lenBytes.writeBigUInt64LE(BigInt(headerBytes.length));

  const fd = openSync(path, 'w');
  try {
    writeFully(fd, lenBytes);
    writeFully(fd, headerBytes);
    let done = 0;
    for (const t of tensors) {
      const data = typeof t.data === 'function' ? t.data() : t.data;
      const numel = t.shape.reduce((a, b) => a * b, 1);
      if (data.length !== numel) {
        throw new Error(`${basename(path)}: tensor "${t.name}" has ${data.length} values but shape ${JSON.stringify(t.shape)} needs ${numel}`);
      }
      const out = t.dtype === 'F32' ? data : t.dtype === 'F16' ? f32ToF16(data) : f32ToBf16(data);
      writeFully(fd, new Uint8Array(out.buffer, out.byteOffset, out.byteLength));
      done += out.byteLength;
      onProgress?.(done, total);
    }
  } finally {
    closeSync(fd);
  }
}

// ---- checkpoints (one file or shards) ----

/** A Hugging Face checkpoint folder: model.safetensors, or shards listed by model.safetensors.index.json. */
export class SafetensorsCheckpoint {
  readonly dir: string;
  readonly files: SafetensorsFile[];
  private readonly owner: Map<string, SafetensorsFile>;

  private constructor(dir: string, files: SafetensorsFile[], owner: Map<string, SafetensorsFile>) {
    this.dir = dir;
    this.files = files;
    this.owner = owner;
  }

  /** True if the folder holds something open() can read. */
  static exists(dir: string): boolean {
    return existsSync(join(dir, 'model.safetensors.index.json')) || safetensorsIn(dir).length > 0;
  }

  static open(dir: string): SafetensorsCheckpoint {
    const indexPath = join(dir, 'model.safetensors.index.json');
    if (existsSync(indexPath)) return SafetensorsCheckpoint.openIndexed(dir, indexPath);
    const single = join(dir, 'model.safetensors');
    const paths = existsSync(single) ? [single] : safetensorsIn(dir).map((f) => join(dir, f));
    if (paths.length === 0) throw new Error(`${dir}: no model.safetensors or model.safetensors.index.json`);
    // Without an index (a folder of loose *.safetensors), every file's tensors are taken, and must not repeat.
    const files: SafetensorsFile[] = [];
    const owner = new Map<string, SafetensorsFile>();
    try {
      for (const p of paths) {
        const f = SafetensorsFile.open(p);
        files.push(f);
        for (const name of f.names()) {
          const prev = owner.get(name);
          if (prev) throw new Error(`${basename(p)}: tensor "${name}" is also in ${basename(prev.path)}`);
          owner.set(name, f);
        }
      }
    } catch (e) {
      for (const f of files) f.close();
      throw e;
    }
    return new SafetensorsCheckpoint(dir, files, owner);
  }

  private static openIndexed(dir: string, indexPath: string): SafetensorsCheckpoint {
    const label = basename(indexPath);
    // Real indexes are well under 1 MB; a huge one is not an index.
    if (statSync(indexPath).size > MAX_HEADER_BYTES) throw new Error(`${label}: file is larger than ${MAX_HEADER_BYTES} bytes`);
    const text = readFileSync(indexPath, 'utf8');
    let index: unknown;
    try {
      index = JSON.parse(text);
    } catch (e) {
      throw new Error(`${label}: not valid JSON (${(e as Error).message})`);
    }
    const weightMap = (index as { weight_map?: unknown } | null)?.weight_map;
    if (typeof weightMap !== 'object' || weightMap === null || Array.isArray(weightMap)) {
      throw new Error(`${label}: field "weight_map" is missing or not an object`);
    }
    const byShard = new Map<string, SafetensorsFile>();
    const owner = new Map<string, SafetensorsFile>();
    try {
      for (const [name, shard] of Object.entries(weightMap)) {
        // Shard names are plain file names next to the index; refuse anything that walks out of the folder.
        if (typeof shard !== 'string' || shard !== basename(shard)) {
          throw new Error(`${label}: weight_map["${name}"] is not a file name in the folder: ${JSON.stringify(shard)}`);
        }
        let file = byShard.get(shard);
        if (!file) {
          const shardPath = join(dir, shard);
          if (!existsSync(shardPath)) throw new Error(`${label}: shard "${shard}" (holding "${name}") is missing from ${dir}`);
          file = SafetensorsFile.open(shardPath);
          byShard.set(shard, file);
        }
        if (!file.has(name)) throw new Error(`${label}: weight_map puts "${name}" in ${shard}, which has no such tensor`);
        owner.set(name, file);
      }
    } catch (e) {
      for (const f of byShard.values()) f.close();
      throw e;
    }
    return new SafetensorsCheckpoint(dir, [...byShard.values()], owner);
  }

  get metadata(): Record<string, string> {
    return this.files[0]?.metadata ?? {};
  }

  names(): string[] {
    return [...this.owner.keys()];
  }

  has(name: string): boolean {
    return this.owner.has(name);
  }

  info(name: string): TensorInfo {
    return this.file(name).info(name);
  }

  readF32(name: string): Float32Array {
    return this.file(name).readF32(name);
  }

  readRaw(name: string): Uint8Array {
    return this.file(name).readRaw(name);
  }

  locate(name: string) {
    return this.file(name).locate(name);
  }

  /** Path of the shard that holds a tensor. */
  pathOf(name: string): string {
    return this.file(name).path;
  }

  close(): void {
    for (const f of this.files) f.close();
  }

  private file(name: string): SafetensorsFile {
    const f = this.owner.get(name);
    if (!f) throw new Error(`${this.dir}: no tensor "${name}" in the checkpoint`);
    return f;
  }
}

function safetensorsIn(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.safetensors'))
    .sort();
}
