// Reading small files from folders that strangers made (configs, tokenizers, adapter configs,
// index.csv): only regular files (a symlink may point at one), never more than a cap per kind.
// A FIFO would block open() until a writer comes; /dev/zero never ends; a size from stat() says
// nothing about either. So: stat first (regular files only), open without blocking, check the
// open file again, and read at most cap + 1 bytes whatever stat said.
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';

const MiB = 1 << 20;

/** Caps per kind of file; a real file of each kind is far below its cap. */
export const MAX_BYTES = {
  config: 16 * MiB, // config.json, generation_config.json, adapter_config.json
  tokenizer: 128 * MiB, // tokenizer.json (Gemma 3's is 33 MB)
  tokenizerConfig: 32 * MiB, // tokenizer_config.json, chat_template.jinja/.json
  indexCsv: 64 * MiB, // index.csv of a released experiment (5,000 rows are under 2 MB)
} as const;

/**
 * Whether anything is at `path`, a broken symlink included: optional files (tokenizer_config.json,
 * a chat template) that are present but unreadable are an error, not silently absent.
 */
export function isPresent(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Stats of `path` when it is a regular file (following symlinks); a one-line error otherwise. */
export function regularFile(path: string): Stats {
  let st: Stats;
  try {
    st = statSync(path);
  } catch (e) {
    throw new Error(`${path}: cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (!st.isFile()) throw new Error(`${path}: not a regular file (${kindOf(st)}); only plain files are read`);
  return st;
}

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a named pipe';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSocket()) return 'a socket';
  return 'not a file';
}

/**
 * Opens a regular file for reading without ever blocking on a FIFO swapped in after the check.
 * The caller closes the descriptor.
 */
export function openRegularFile(path: string): number {
  regularFile(path);
  const fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Error(`${path}: not a regular file (${kindOf(st)}); only plain files are read`);
    return fd;
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

/** The whole file, refused when it holds more than `maxBytes` (counted while reading, not trusted from stat). */
export function readBounded(path: string, maxBytes: number): Buffer {
  const fd = openRegularFile(path);
  try {
    const size = fstatSync(fd).size;
    if (size > maxBytes) throw new Error(`${path}: file has ${size} bytes, more than the ${maxBytes}-byte limit for this kind of file`);
    const buf = Buffer.alloc(Math.min(size, maxBytes) + 1);
    let done = 0;
    for (;;) {
      const n = readSync(fd, buf, done, buf.length - done, done);
      if (n === 0) break;
      done += n;
      if (done > maxBytes) throw new Error(`${path}: file has more than the ${maxBytes}-byte limit for this kind of file`);
      if (done === buf.length) throw new Error(`${path}: the file grew while it was being read`);
    }
    return buf.subarray(0, done);
  } finally {
    closeSync(fd);
  }
}

/** The file as UTF-8 text, bounded as readBounded. */
export const readBoundedText = (path: string, maxBytes: number): string => readBounded(path, maxBytes).toString('utf8');
