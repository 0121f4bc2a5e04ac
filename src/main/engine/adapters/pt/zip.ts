// A bounded zip reader for torch.save archives: it reads the central directory (ZIP64 too; torch
// always writes the ZIP64 end records) and then one entry, or one byte range of a STORED entry,
// at a time. Nothing here reads a whole archive: a 256-diff shard is hundreds of MB, and a reader
// wants one diff out of it. Every size and offset the file declares is checked against the file's
// own size before anything is allocated.
//
//   [local header + data]... [central directory] [zip64 end record] [zip64 locator] [end record]
//
// The file is opened only while reading (see `hold`), so a parsed archive can be kept around
// without holding a file descriptor.
import { closeSync, fstatSync, readSync } from 'node:fs';
import { openRegularFile } from '../../hf/bounded-read.ts';
import * as zlib from 'node:zlib';

/** Random access to a file's bytes; injectable so tests can count what is read. */
export interface ByteSource {
  readonly size: number;
  /** Fills `into` from `position`; returns the number of bytes read (less only at end of file). */
  read(into: Uint8Array, position: number): number;
  close(): void;
}
export type OpenSource = (path: string) => ByteSource;

const IO_CHUNK = 1 << 30; // fs.readSync takes at most 2 GiB per call

export const openFileSource: OpenSource = (path) => {
  let fd: number;
  try {
    fd = openRegularFile(path); // a FIFO or a device would block or never end
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(code ? `${path}: cannot open (${code})` : (e as Error).message);
  }
  return {
    size: fstatSync(fd).size,
    read(into, position) {
      let done = 0;
      while (done < into.length) {
        const n = readSync(fd, into, done, Math.min(IO_CHUNK, into.length - done), position + done);
        if (n === 0) break;
        done += n;
      }
      return done;
    },
    close: () => closeSync(fd),
  };
};

export interface ZipEntry {
  name: string;
  method: number; // 0 STORED, 8 DEFLATE
  crc32: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

export interface ZipLimits {
  /** Largest central directory accepted (real torch files: well under 10 MB). */
  maxCentralDirectoryBytes: number;
  maxEntries: number;
  /** Largest DEFLATE entry inflated in one piece (STORED entries are read by range). */
  maxInflatedBytes: number;
  /** Largest inflated / compressed size ratio of a DEFLATE entry over MIN_INFLATE_ALLOWANCE bytes. */
  maxInflateRatio: number;
}

const MIN_INFLATE_ALLOWANCE = 64 << 20;

export const DEFAULT_ZIP_LIMITS: ZipLimits = {
  maxCentralDirectoryBytes: 256 << 20,
  maxEntries: 4 << 20,
  maxInflatedBytes: 1 << 30,
  maxInflateRatio: 16,
};

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_END = 0x06054b50;
const SIG_END64 = 0x06064b50;
const SIG_LOCATOR64 = 0x07064b50;
const END_BYTES = 22;
const LOCATOR64_BYTES = 20;
const END64_BYTES = 56;
const CENTRAL_BYTES = 46;
const LOCAL_BYTES = 30;
const MAX_COMMENT = 0xffff;

export class ZipReader {
  readonly path: string;
  readonly size: number;
  private readonly entryMap: Map<string, ZipEntry>;
  private readonly dataStarts = new Map<string, number>();
  private readonly openSource: OpenSource;
  private readonly limits: ZipLimits;
  private readonly centralStart: number;
  private source: ByteSource | null = null;
  private holds = 0;

  private constructor(path: string, size: number, entries: Map<string, ZipEntry>, centralStart: number, openSource: OpenSource, limits: ZipLimits) {
    this.path = path;
    this.size = size;
    this.entryMap = entries;
    this.centralStart = centralStart;
    this.openSource = openSource;
    this.limits = limits;
  }

  static open(path: string, options: { openSource?: OpenSource; limits?: Partial<ZipLimits> } = {}): ZipReader {
    const openSource = options.openSource ?? openFileSource;
    const limits = { ...DEFAULT_ZIP_LIMITS, ...options.limits };
    const src = openSource(path);
    try {
      const { entries, centralStart } = readCentralDirectory(src, path, limits);
      return new ZipReader(path, src.size, entries, centralStart, openSource, limits);
    } finally {
      src.close();
    }
  }

  entries(): ZipEntry[] {
    return [...this.entryMap.values()];
  }

  entry(name: string): ZipEntry | undefined {
    return this.entryMap.get(name);
  }

  /** Runs fn with the file held open, so a batch of reads opens it once. */
  hold<T>(fn: () => T): T {
    return this.withSource(() => fn());
  }

  /**
   * Bytes [begin, end) of an entry's uncompressed data. STORED entries read only that range;
   * DEFLATE entries are inflated whole (bounded by maxInflatedBytes) and CRC-checked.
   */
  read(name: string, begin = 0, end?: number): Uint8Array {
    const e = this.entryMap.get(name);
    if (!e) throw new Error(`${this.where(name)} is missing`);
    const stop = end ?? e.size;
    if (!(Number.isSafeInteger(begin) && Number.isSafeInteger(stop) && 0 <= begin && begin <= stop && stop <= e.size)) {
      throw new Error(`${this.where(name)}: byte range [${begin}, ${stop}) is outside its ${e.size} bytes`);
    }
    return this.withSource((src) => {
      const start = this.dataStart(src, e);
      if (e.method === 0) {
        const out = readExactly(src, start + begin, stop - begin, this.where(name));
        if (begin === 0 && stop === e.size) checkCrc(out, e, this.path);
        return out;
      }
      this.checkInflatable(e);
      const packed = readExactly(src, start, e.compressedSize, this.where(name));
      let out: Uint8Array;
      try {
        const b = zlib.inflateRawSync(packed, { maxOutputLength: Math.max(1, e.size) });
        out = new Uint8Array(b.buffer, b.byteOffset, b.length);
      } catch (err) {
        throw new Error(`${this.where(name)}: deflate data is corrupt (${oneLine((err as Error).message)})`);
      }
      if (out.length !== e.size) throw new Error(`${this.where(name)} inflates to ${out.length} bytes, but the directory says ${e.size}`);
      checkCrc(out, e, this.path);
      return out.subarray(begin, stop);
    });
  }

  /**
   * A DEFLATE entry is inflated whole, so what it may inflate to is bounded by the bytes it
   * actually has: at most maxInflateRatio times its compressed size (64 MiB allowed in any case),
   * and never over maxInflatedBytes. Deflate can pack 1 GiB of zeros into 1 MB; float weights
   * compress hardly at all. Checked when a file is opened, so a bomb is refused before any work.
   */
  checkInflatable(e: ZipEntry): void {
    if (e.method === 0) return;
    const allowed = Math.min(this.limits.maxInflatedBytes, Math.max(MIN_INFLATE_ALLOWANCE, e.compressedSize * this.limits.maxInflateRatio));
    if (e.size > allowed) {
      throw new Error(`${this.where(e.name)} inflates to ${e.size} bytes from ${e.compressedSize}, over the ${allowed}-byte limit for an entry of that size`);
    }
  }

  /** "file: zip entry "name"", the start of every message about one entry. */
  where(name: string): string {
    return `${this.path}: zip entry ${JSON.stringify(name)}`;
  }

  private withSource<T>(fn: (src: ByteSource) => T): T {
    if (this.source === null) {
      const src = this.openSource(this.path);
      if (src.size !== this.size) {
        src.close();
        throw new Error(`${this.path}: file changed since it was opened (${this.size} bytes then, ${src.size} now)`);
      }
      this.source = src;
    }
    this.holds++;
    try {
      return fn(this.source);
    } finally {
      if (--this.holds === 0) {
        this.source.close();
        this.source = null;
      }
    }
  }

  /** Where an entry's data begins: after its local header, whose name and extra lengths may differ from the central copy. */
  private dataStart(src: ByteSource, e: ZipEntry): number {
    const known = this.dataStarts.get(e.name);
    if (known !== undefined) return known;
    const where = this.where(e.name);
    if (e.localHeaderOffset + LOCAL_BYTES > this.centralStart) throw new Error(`${where}: local header at ${e.localHeaderOffset} runs into the central directory`);
    const h = view(readExactly(src, e.localHeaderOffset, LOCAL_BYTES, where));
    if (h.getUint32(0, true) !== SIG_LOCAL) throw new Error(`${where}: no local header at byte ${e.localHeaderOffset}`);
    const start = e.localHeaderOffset + LOCAL_BYTES + h.getUint16(26, true) + h.getUint16(28, true);
    if (start + e.compressedSize > this.centralStart) {
      throw new Error(`${where}: its ${e.compressedSize} bytes at ${start} run past the start of the central directory (${this.centralStart})`);
    }
    this.dataStarts.set(e.name, start);
    return start;
  }
}

function readCentralDirectory(src: ByteSource, path: string, limits: ZipLimits): { entries: Map<string, ZipEntry>; centralStart: number } {
  const size = src.size;
  if (size < END_BYTES) throw new Error(`${path}: ${size} bytes is too short for a zip file`);
  const tailLen = Math.min(size, END_BYTES + MAX_COMMENT);
  const tailStart = size - tailLen;
  const tail = readExactly(src, tailStart, tailLen, `${path}: end of central directory`);
  const tv = view(tail);
  let endAt = -1;
  // The end record is the last signature whose comment length reaches exactly to the end of the file.
  for (let i = tailLen - END_BYTES; i >= 0; i--) {
    if (tv.getUint32(i, true) === SIG_END && i + END_BYTES + tv.getUint16(i + 20, true) === tailLen) {
      endAt = i;
      break;
    }
  }
  if (endAt < 0) throw new Error(`${path}: not a zip archive, or a truncated one (no end-of-central-directory record)`);
  const endPos = tailStart + endAt;
  let disk = tv.getUint16(endAt + 4, true);
  let cdDisk = tv.getUint16(endAt + 6, true);
  let count = tv.getUint16(endAt + 10, true);
  let cdSize = tv.getUint32(endAt + 12, true);
  let cdOffset = tv.getUint32(endAt + 16, true);
  let cdLimit = endPos; // the central directory must end before the record describing it

  const locAt = endPos - LOCATOR64_BYTES;
  if (locAt >= 0) {
    const loc = view(readExactly(src, locAt, LOCATOR64_BYTES, `${path}: zip64 locator`));
    if (loc.getUint32(0, true) === SIG_LOCATOR64) {
      const end64Pos = u64(loc, 8, path, 'zip64 end record offset');
      if (end64Pos + END64_BYTES > locAt) throw new Error(`${path}: zip64 end record at ${end64Pos} overlaps its locator at ${locAt}`);
      const e64 = view(readExactly(src, end64Pos, END64_BYTES, `${path}: zip64 end record`));
      if (e64.getUint32(0, true) !== SIG_END64) throw new Error(`${path}: no zip64 end record at byte ${end64Pos}`);
      disk = e64.getUint32(16, true);
      cdDisk = e64.getUint32(20, true);
      count = u64(e64, 32, path, 'zip64 entry count');
      cdSize = u64(e64, 40, path, 'zip64 central directory size');
      cdOffset = u64(e64, 48, path, 'zip64 central directory offset');
      cdLimit = end64Pos;
    }
  }
  if (disk !== 0 || cdDisk !== 0) throw new Error(`${path}: multi-volume zip archives are not supported`);
  if (count > limits.maxEntries) throw new Error(`${path}: ${count} zip entries, over the ${limits.maxEntries}-entry limit`);
  if (cdSize > limits.maxCentralDirectoryBytes) throw new Error(`${path}: central directory of ${cdSize} bytes is over the ${limits.maxCentralDirectoryBytes}-byte limit`);
  if (cdOffset + cdSize > cdLimit) throw new Error(`${path}: central directory [${cdOffset}, ${cdOffset + cdSize}) runs past its end record at ${cdLimit}`);
  if (count * CENTRAL_BYTES > cdSize) throw new Error(`${path}: ${count} entries cannot fit in a ${cdSize}-byte central directory`);

  const cd = readExactly(src, cdOffset, cdSize, `${path}: central directory`);
  const cv = view(cd);
  const entries = new Map<string, ZipEntry>();
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + CENTRAL_BYTES > cdSize || cv.getUint32(p, true) !== SIG_CENTRAL) throw new Error(`${path}: central directory entry ${i} is malformed (at byte ${cdOffset + p})`);
    const flags = cv.getUint16(p + 8, true);
    const method = cv.getUint16(p + 10, true);
    const crc32 = cv.getUint32(p + 16, true);
    let compressedSize = cv.getUint32(p + 20, true);
    let uncompressedSize = cv.getUint32(p + 24, true);
    const nameLen = cv.getUint16(p + 28, true);
    const extraLen = cv.getUint16(p + 30, true);
    const commentLen = cv.getUint16(p + 32, true);
    let startDisk = cv.getUint16(p + 34, true);
    let localOffset = cv.getUint32(p + 42, true);
    const recordEnd = p + CENTRAL_BYTES + nameLen + extraLen + commentLen;
    if (recordEnd > cdSize) throw new Error(`${path}: central directory entry ${i} runs past the directory's end`);
    const nameBytes = cd.subarray(p + CENTRAL_BYTES, p + CENTRAL_BYTES + nameLen);
    const name = flags & 0x800 ? new TextDecoder('utf-8').decode(nameBytes) : Buffer.from(nameBytes).toString('latin1');
    const where = `${path}: zip entry ${JSON.stringify(name)}`;

    // ZIP64 extra field: the 64-bit values follow in this order, present only where the 32-bit field is saturated.
    let x = p + CENTRAL_BYTES + nameLen;
    const xEnd = x + extraLen;
    while (x + 4 <= xEnd) {
      const id = cv.getUint16(x, true);
      const len = cv.getUint16(x + 2, true);
      if (x + 4 + len > xEnd) throw new Error(`${where}: extra field runs past its record`);
      if (id === 0x0001) {
        let q = x + 4;
        const take = (what: string) => {
          if (q + 8 > x + 4 + len) throw new Error(`${where}: zip64 extra field is too short for the ${what}`);
          const v = u64(cv, q, path, `${name} ${what}`);
          q += 8;
          return v;
        };
        if (uncompressedSize === 0xffffffff) uncompressedSize = take('size');
        if (compressedSize === 0xffffffff) compressedSize = take('compressed size');
        if (localOffset === 0xffffffff) localOffset = take('local header offset');
        if (startDisk === 0xffff) startDisk = cv.getUint32(q, true);
      }
      x += 4 + len;
    }
    if (flags & 0x1) throw new Error(`${where} is encrypted`);
    if (method !== 0 && method !== 8) throw new Error(`${where} uses compression method ${method} (only stored and deflate are read)`);
    if (method === 0 && compressedSize !== uncompressedSize) throw new Error(`${where} is stored but declares ${compressedSize} packed and ${uncompressedSize} unpacked bytes`);
    if (startDisk !== 0) throw new Error(`${where} lives on another volume`);
    if (localOffset + LOCAL_BYTES + compressedSize > cdOffset) {
      throw new Error(`${where}: ${compressedSize} bytes at offset ${localOffset} run past the central directory at ${cdOffset}`);
    }
    if (method === 8 && uncompressedSize > 0 && compressedSize === 0) throw new Error(`${where}: deflate entry with no data`);
    if (entries.has(name)) throw new Error(`${where} appears twice`);
    entries.set(name, { name, method, crc32, compressedSize, size: uncompressedSize, localHeaderOffset: localOffset });
    p = recordEnd;
  }
  return { entries, centralStart: cdOffset };
}

/** Reads exactly `length` bytes; `where` starts the error message ("file: zip entry ..."). */
function readExactly(src: ByteSource, position: number, length: number, where: string): Uint8Array {
  if (!(position >= 0 && length >= 0 && position + length <= src.size)) {
    throw new Error(`${where}: ${length} bytes at ${position} run past the end of the file (${src.size} bytes)`);
  }
  const out = new Uint8Array(length);
  const n = src.read(out, position);
  if (n !== length) throw new Error(`${where}: file ends after ${position + n} bytes, ${length - n} short`);
  return out;
}

function u64(v: DataView, at: number, path: string, what: string): number {
  const big = v.getBigUint64(at, true);
  if (big > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`${path}: ${what} ${big} is not a usable size`);
  return Number(big);
}

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

function checkCrc(data: Uint8Array, e: ZipEntry, path: string): void {
  const crc = crc32(data);
  if (crc !== e.crc32) throw new Error(`${path}: zip entry ${JSON.stringify(e.name)} fails its CRC check (corrupt data)`);
}

let crcTable: Uint32Array | null = null;

/** CRC-32 (zlib's own where this Node has it). */
export function crc32(data: Uint8Array): number {
  const native = (zlib as { crc32?: (d: Uint8Array) => number }).crc32;
  if (native) return native(data) >>> 0;
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = crcTable[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}
