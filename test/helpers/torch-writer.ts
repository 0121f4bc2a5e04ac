// Writes torch.save-style archives from TypeScript, for tests that need files torch never makes:
// hostile pickles, huge shards, ZIP64 central directories. The pickle side is a small opcode
// emitter (protocol 2, as torch.save writes) plus an encoder of plain values and tensors; the zip
// side streams entries to disk one at a time, so a shard of hundreds of MB never sits in memory.
import { closeSync, openSync, writeSync } from 'node:fs';
import { deflateRawSync } from 'node:zlib';
import { crc32, type ByteSource } from '../../src/main/engine/adapters/pt/zip.ts';

// ---- pickle ----

export class PickleWriter {
  private chunks: number[] = [];
  private memo = 0;

  op(...bytes: number[]): this {
    this.chunks.push(...bytes);
    return this;
  }
  raw(bytes: Uint8Array | number[]): this {
    for (const b of bytes) this.chunks.push(b);
    return this;
  }
  u32(n: number): this {
    return this.op(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff);
  }
  proto(n = 2): this {
    return this.op(0x80, n);
  }
  stop(): this {
    return this.op(0x2e);
  }
  mark(): this {
    return this.op(0x28);
  }
  str(s: string): this {
    const b = Buffer.from(s, 'utf8');
    return this.op(0x58).u32(b.length).raw(b);
  }
  int(n: number): this {
    if (n >= 0 && n < 256) return this.op(0x4b, n);
    if (n >= 0 && n < 65536) return this.op(0x4d, n & 0xff, n >> 8);
    if (n >= -(2 ** 31) && n < 2 ** 31) return this.op(0x4a).u32(n >>> 0);
    const bytes: number[] = [];
    let v = BigInt(n);
    for (let i = 0; i < 8; i++, v >>= 8n) bytes.push(Number(v & 0xffn));
    return this.op(0x8a, 8, ...bytes);
  }
  global(module: string, name: string): this {
    return this.op(0x63).raw(Buffer.from(`${module}\n${name}\n`, 'latin1'));
  }
  put(): this {
    const i = this.memo++;
    return i < 256 ? this.op(0x71, i) : this.op(0x72).u32(i);
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.chunks);
  }
}

/** A tensor to pickle: a view of storage `key` (dtype given by the storage class name). */
export interface TensorSpec {
  tensor: true;
  storage: { key: string; type: string; numel: number }; // type e.g. "BFloat16Storage"
  offset: number;
  shape: number[];
  stride?: number[]; // default: row-major
}

export type Encodable = null | boolean | number | string | Encodable[] | { tuple: Encodable[] } | Map<string | number, Encodable> | TensorSpec;

const rowMajor = (shape: number[]) => shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));

/** Protocol-2 pickle of plain values and tensors, laid out as torch.save lays them out. */
export function pickleValue(v: Encodable): Uint8Array {
  const w = new PickleWriter().proto(2);
  encode(w, v);
  return w.stop().bytes();
}

function encode(w: PickleWriter, v: Encodable): void {
  if (v === null) w.op(0x4e);
  else if (v === true) w.op(0x88);
  else if (v === false) w.op(0x89);
  else if (typeof v === 'number') {
    if (Number.isInteger(v)) w.int(v);
    else {
      const b = Buffer.alloc(8);
      b.writeDoubleBE(v);
      w.op(0x47).raw(b);
    }
  } else if (typeof v === 'string') w.str(v);
  else if (Array.isArray(v)) {
    w.op(0x5d).put();
    if (v.length) {
      w.mark();
      for (const x of v) encode(w, x);
      w.op(0x65);
    }
  } else if (v instanceof Map) {
    w.op(0x7d).put();
    if (v.size) {
      w.mark();
      for (const [k, x] of v) {
        encode(w, k);
        encode(w, x);
      }
      w.op(0x75);
    }
  } else if ('tuple' in v) {
    w.mark();
    for (const x of v.tuple) encode(w, x);
    w.op(0x74);
  } else {
    // _rebuild_tensor_v2((persistent storage), offset, size, stride, requires_grad, OrderedDict())
    w.global('torch._utils', '_rebuild_tensor_v2');
    w.mark();
    w.mark().str('storage').global('torch', v.storage.type).str(v.storage.key).str('cpu').int(v.storage.numel).op(0x74).op(0x51);
    w.int(v.offset);
    encode(w, { tuple: v.shape });
    encode(w, { tuple: v.stride ?? rowMajor(v.shape) });
    w.op(0x89);
    w.global('collections', 'OrderedDict').op(0x29, 0x52);
    w.op(0x74, 0x52);
  }
}

// ---- zip ----

export interface ZipEntryToWrite {
  name: string;
  data: Uint8Array | (() => Uint8Array); // a function is called when the entry's turn comes
  deflate?: boolean;
}

/**
 * Writes a zip the way torch's writer does: data 64-byte aligned, a ZIP64 end record and locator,
 * then the classic end record. `zip64Entries` also stores every entry's sizes and offset in a
 * ZIP64 extra field (what writers do for entries past 4 GiB).
 */
export function writeZip(path: string, entries: ZipEntryToWrite[], opts: { zip64Entries?: boolean } = {}): number {
  const fd = openSync(path, 'w');
  try {
    return emitZip(entries, opts, (b, at) => {
      let done = 0;
      while (done < b.length) done += writeSync(fd, b, done, b.length - done, at + done);
    });
  } finally {
    closeSync(fd);
  }
}

/** The same archive in memory. */
export function zipBytes(entries: ZipEntryToWrite[], opts: { zip64Entries?: boolean } = {}): Uint8Array {
  const chunks: Uint8Array[] = [];
  emitZip(entries, opts, (b) => chunks.push(Uint8Array.from(b)));
  return Buffer.concat(chunks);
}

function emitZip(entries: ZipEntryToWrite[], opts: { zip64Entries?: boolean }, write: (b: Uint8Array, at: number) => void): number {
  let pos = 0;
  const put = (b: Uint8Array) => {
    write(b, pos);
    pos += b.length;
  };
  const central: Buffer[] = [];
  {
    for (const e of entries) {
      const raw = typeof e.data === 'function' ? e.data() : e.data;
      const packed = e.deflate ? deflateRawSync(raw) : raw;
      const crc = crc32(raw);
      const name = Buffer.from(e.name, 'utf8');
      const localAt = pos;
      const pad = (64 - ((localAt + 30 + name.length + 4) % 64)) % 64;
      const local = Buffer.alloc(30);
      local.writeUInt32LE(0x04034b50, 0);
      local.writeUInt16LE(20, 4);
      local.writeUInt16LE(0x800, 6);
      local.writeUInt16LE(e.deflate ? 8 : 0, 8);
      local.writeUInt32LE(crc, 14);
      local.writeUInt32LE(packed.length, 18);
      local.writeUInt32LE(raw.length, 22);
      local.writeUInt16LE(name.length, 26);
      local.writeUInt16LE(4 + pad, 28);
      const extra = Buffer.alloc(4 + pad, 0x5a);
      extra.writeUInt16LE(0x4246, 0); // "FB": torch's alignment padding field
      extra.writeUInt16LE(pad, 2);
      put(local);
      put(name);
      put(extra);
      put(packed);

      const z64 = opts.zip64Entries;
      const cextra = z64 ? Buffer.alloc(4 + 24) : Buffer.alloc(0);
      if (z64) {
        cextra.writeUInt16LE(1, 0);
        cextra.writeUInt16LE(24, 2);
        cextra.writeBigUInt64LE(BigInt(raw.length), 4);
        cextra.writeBigUInt64LE(BigInt(packed.length), 12);
        cextra.writeBigUInt64LE(BigInt(localAt), 20);
      }
      const c = Buffer.alloc(46);
      c.writeUInt32LE(0x02014b50, 0);
      c.writeUInt16LE(45, 4);
      c.writeUInt16LE(45, 6);
      c.writeUInt16LE(0x800, 8);
      c.writeUInt16LE(e.deflate ? 8 : 0, 10);
      c.writeUInt32LE(crc, 16);
      c.writeUInt32LE(z64 ? 0xffffffff : packed.length, 20);
      c.writeUInt32LE(z64 ? 0xffffffff : raw.length, 24);
      c.writeUInt16LE(name.length, 28);
      c.writeUInt16LE(cextra.length, 30);
      c.writeUInt32LE(z64 ? 0xffffffff : localAt, 42);
      central.push(c, name, cextra);
    }
    const cdAt = pos;
    for (const b of central) put(b);
    const cdSize = pos - cdAt;
    const end64At = pos;
    const e64 = Buffer.alloc(56);
    e64.writeUInt32LE(0x06064b50, 0);
    e64.writeBigUInt64LE(44n, 4);
    e64.writeUInt16LE(45, 12);
    e64.writeUInt16LE(45, 14);
    e64.writeBigUInt64LE(BigInt(entries.length), 24);
    e64.writeBigUInt64LE(BigInt(entries.length), 32);
    e64.writeBigUInt64LE(BigInt(cdSize), 40);
    e64.writeBigUInt64LE(BigInt(cdAt), 48);
    put(e64);
    const loc = Buffer.alloc(20);
    loc.writeUInt32LE(0x07064b50, 0);
    loc.writeBigUInt64LE(BigInt(end64At), 8);
    loc.writeUInt32LE(1, 16);
    put(loc);
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(Math.min(entries.length, 0xffff), 8);
    end.writeUInt16LE(Math.min(entries.length, 0xffff), 10);
    end.writeUInt32LE(0xffffffff, 12); // saturated: the zip64 record has the real values
    end.writeUInt32LE(0xffffffff, 16);
    put(end);
  }
  return pos;
}

/** A torch.save-style archive: <archive>/data.pkl, <archive>/data/<key>..., <archive>/version. */
export function writeTorchZip(
  path: string,
  pickle: Uint8Array,
  storages: [string, Uint8Array | (() => Uint8Array)][],
  opts: { archive?: string; zip64Entries?: boolean; deflate?: boolean } = {},
): number {
  const a = opts.archive ?? 'archive';
  return writeZip(
    path,
    [
      { name: `${a}/data.pkl`, data: pickle, deflate: opts.deflate },
      ...storages.map(([key, data]) => ({ name: `${a}/data/${key}`, data, deflate: opts.deflate })),
      { name: `${a}/version`, data: Buffer.from('3\n') },
    ],
    opts,
  );
}

/** A file's bytes in memory as a ByteSource (for fuzzing without touching the disk). */
export function memorySource(bytes: Uint8Array, counter?: { bytes: number; reads: number }): ByteSource {
  return {
    size: bytes.length,
    read(into, position) {
      const n = Math.max(0, Math.min(into.length, bytes.length - position));
      into.set(bytes.subarray(position, position + n));
      if (counter) {
        counter.bytes += n;
        counter.reads++;
      }
      return n;
    },
    close() {},
  };
}
