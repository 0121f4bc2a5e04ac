// The paper's released artifacts (Hugging Face repo diff-interpretation-tuning/loras):
//   <experiment>/<model>/index.csv                lora_path, lora_idx, n_params, topic, trigger, split
//   <experiment>/<model>/weight-diffs/weight-diff-NNN.pt   torch.save of a list of diffs:
//       {"topic": str, "trigger": int, "weight_diff": {module_path: (A, B)}}
//       with delta(x) = x @ B @ A / r, B [in, r], A [r, out]. The tensors are views into the
//       training run's multi-task parameters (A[task] of [tasks, r, out]), so diffs share storages.
//   <experiment>/<model>/dit-adapter.pt           torch.save of {module_path: (A, B)}:
//       A [out, r], B [r, in], delta(x) = x @ B.T @ A.T / r
// Full-finetune experiments store a whole state_dict ("...q_proj.weight" [out, in], the finetuned
// weights themselves) per entry instead of (A, B) pairs.
// Either tuple convention is recognised from shapes in either kind of file: the rank is the small
// dimension the two matrices share.
import { familyFromPaperPath } from './family.ts';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { MAX_BYTES, readBoundedText } from '../hf/bounded-read.ts';
import { basename, dirname, isAbsolute, join, normalize, relative, sep } from 'node:path';
import { moduleKey, type LowRank, type LowRankModule } from './lowrank.ts';
import { parseModulePath } from './module-names.ts';
import { isDict, isTensor, openTorchFile, type PyDict, type PyValue, type TorchFile, type TorchFileOptions, type TorchTensor } from './pt/torch-load.ts';
import { transpose } from '../matrix.ts';

export const PAPER_FORMAT = 'paper-pt';

/** How a (first, second) tuple is laid out. */
type Orientation = 'diff' | 'dit'; // diff: (A [r, out], B [in, r]); dit: (A [out, r], B [r, in])

export interface PaperModuleInfo {
  name: string; // the module path as stored
  key: string | null; // "<layer>.<module>", or null for a module outside the decoder's seven linears
  shapes: number[][]; // shapes of the stored tensors: [A, B] for pairs, [W] for full weights
}

export interface PaperDiffInfo {
  index: number;
  topic: string;
  trigger: number | string | null;
  kind: 'diff' | 'full';
  /** largest module rank for a low-rank diff (from shapes, nothing read); null for a full finetune */
  rank: number | null;
  modules: PaperModuleInfo[];
  /** any other plain fields of the entry, as text */
  extra: Record<string, string>;
}

/** A low-rank pair or a full weight as found in the file, before any tensor is read. */
interface Pair {
  name: string;
  key: string;
  first: TorchTensor; // "A"
  second: TorchTensor; // "B"
}

/** Work allowed walking one file's tree: a hostile pickle can share one huge dict among many entries. */
const MAX_VISITS = 50_000_000;

/** One weight-diff shard, parsed once (the pickle only); tensors are read per diff on demand. */
export class PaperShard {
  readonly path: string;
  readonly diffs: PaperDiffInfo[];
  private readonly file: TorchFile;
  private readonly entries: PyDict[];

  private constructor(path: string, file: TorchFile, entries: PyDict[], diffs: PaperDiffInfo[]) {
    this.path = path;
    this.file = file;
    this.entries = entries;
    this.diffs = diffs;
  }

  static open(path: string, options: TorchFileOptions = {}): PaperShard {
    return PaperShard.fromFile(openTorchFile(path, options));
  }

  static fromFile(file: TorchFile): PaperShard {
    const path = file.path;
    const root = file.root;
    let entries: PyDict[];
    if (Array.isArray(root)) {
      entries = root.map((e, i) => {
        if (!isDict(e) || !e.has('weight_diff')) throw new Error(`${path}: entry ${i} is not a {"topic", "trigger", "weight_diff"} dict`);
        return e;
      });
    } else if (isDict(root) && root.has('weight_diff')) {
      entries = [root]; // one diff saved on its own
    } else {
      throw new Error(`${path}: not a weight-diff shard (a list of {"topic", "trigger", "weight_diff"} dicts); top level is a ${kindOf(root)}`);
    }
    const budget = { left: MAX_VISITS };
    const diffs = entries.map((e, i) => describeDiff(path, e, i, budget));
    return new PaperShard(path, file, entries, diffs);
  }

  /** Diff #index as a LowRank, reading only its own tensors' bytes. */
  readDiff(index: number): LowRank {
    const info = this.info(index);
    if (info.kind === 'full') {
      throw new Error(`${this.path}: diff #${index} (${q(info.topic)}) is a full finetune (whole weights, not (A, B) pairs); compress it to low rank with --rank K (against the base model)`);
    }
    const pairs = collectPairs(this.path, weightDiff(this.path, this.entries[index], index), `diff #${index}`);
    const lr = this.file.hold(() => toLowRank(this.path, this.file, pairs, `diff #${index}`));
    lr.meta = {
      ...info.extra, // the entry's other fields first, so they cannot override the ones below
      format: PAPER_FORMAT,
      kind: 'diff',
      source: this.path,
      index: String(index),
      label: info.topic,
      topic: info.topic,
      ...(info.trigger === null ? {} : { trigger: String(info.trigger) }),
      ...lr.meta,
    };
    const split = splitFromIndex(this.path, index, info.topic);
    if (split) lr.meta.split = split;
    const arch = familyFromPaperPath(this.path);
    if (arch) lr.meta.arch = arch;
    return lr;
  }

  /** A full-finetune entry's linear weights, [out, in] each, read when called. Keys "<layer>.<module>". */
  readFullWeights(index: number): Map<string, () => Float32Array> {
    const info = this.info(index);
    if (info.kind !== 'full') throw new Error(`${this.path}: diff #${index} holds (A, B) pairs, not full weights`);
    const wd = weightDiff(this.path, this.entries[index], index);
    const out = new Map<string, () => Float32Array>();
    for (const [rawName, value] of wd) {
      const name = String(rawName);
      const p = parseModulePath(name);
      if (!p || p.rest !== '.weight' || !isTensor(value)) continue;
      const key = moduleKey(p.layer, p.module);
      if (value.shape.length !== 2) throw new Error(`${this.path}: diff #${index} ${q(name)} has shape ${JSON.stringify(value.shape)}, not [out, in]`);
      if (out.has(key)) throw new Error(`${this.path}: diff #${index} has two weights for module ${key} (${q(name)})`);
      out.set(key, () => this.file.readTensorF32(value, `diff #${index} ${q(name)}`));
    }
    if (out.size === 0) throw new Error(`${this.path}: diff #${index} has no decoder linear weights ("model.layers.N.self_attn.q_proj.weight" ...)`);
    return out;
  }

  private info(index: number): PaperDiffInfo {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.diffs.length) {
      throw new Error(`${this.path}: no diff #${index} (the shard holds ${this.diffs.length}, numbered 0-${this.diffs.length - 1})`);
    }
    return this.diffs[index];
  }
}

/** The diffs in a shard, with labels and module shapes; no tensor data is read. */
export function readPaperShard(path: string, options?: TorchFileOptions): PaperDiffInfo[] {
  return PaperShard.open(path, options).diffs;
}

export function readPaperDiff(path: string, index: number, options?: TorchFileOptions): LowRank {
  return PaperShard.open(path, options).readDiff(index);
}

export function readPaperFullWeights(path: string, index: number, options?: TorchFileOptions): Map<string, () => Float32Array> {
  return PaperShard.open(path, options).readFullWeights(index);
}

/** A DIT adapter file: {module_path: (A, B)}. */
export function readPaperDit(path: string, options?: TorchFileOptions): LowRank {
  return ditFromFile(openTorchFile(path, options));
}

function ditFromFile(file: TorchFile): LowRank {
  const root = file.root;
  if (!isDict(root) || root.has('weight_diff')) throw new Error(`${file.path}: not a DIT adapter (a {module: (A, B)} dict); top level is a ${kindOf(root)}`);
  const pairs = collectPairs(file.path, root, 'DIT adapter');
  const lr = file.hold(() => toLowRank(file.path, file, pairs, 'DIT adapter'));
  lr.meta = { format: PAPER_FORMAT, kind: 'dit', source: file.path, ...lr.meta };
  const arch = familyFromPaperPath(file.path);
  if (arch) lr.meta.arch = arch;
  return lr;
}

/**
 * Any paper .pt file: a shard (a list of diffs; `index` picks one, optional for a one-diff shard)
 * or a DIT adapter (a dict of pairs), told apart by the pickle's top-level type.
 */
export function readPaperPt(path: string, index?: number, options?: TorchFileOptions): LowRank {
  const file = openTorchFile(path, options);
  if (isDict(file.root) && !file.root.has('weight_diff')) {
    if (index !== undefined) throw new Error(`${path}: a DIT adapter file holds one adapter; drop "#${index}"`);
    return ditFromFile(file);
  }
  const shard = PaperShard.fromFile(file);
  if (index === undefined) {
    if (shard.diffs.length !== 1) throw new Error(`${path}: the shard holds ${shard.diffs.length} diffs; choose one with "${path}#INDEX" (0-${shard.diffs.length - 1})`);
    index = 0;
  }
  return shard.readDiff(index);
}

// ---- tree walking ----

/** A name or label from the file, quoted on one line and cut short. */
function q(s: string): string {
  return JSON.stringify(s.length > 200 ? `${s.slice(0, 200)}...` : s);
}

function kindOf(v: PyValue): string {
  if (Array.isArray(v)) return Object.isFrozen(v) ? 'tuple' : 'list';
  if (v instanceof Map) return 'dict';
  if (isTensor(v)) return 'tensor';
  return v === null ? 'None' : typeof v;
}

function weightDiff(path: string, entry: PyDict, index: number): PyDict {
  const wd = entry.get('weight_diff');
  if (!isDict(wd)) throw new Error(`${path}: diff #${index} "weight_diff" is a ${kindOf(wd ?? null)}, not a dict`);
  return wd;
}

function describeDiff(path: string, entry: PyDict, index: number, budget: { left: number }): PaperDiffInfo {
  const wd = weightDiff(path, entry, index);
  budget.left -= wd.size;
  if (budget.left < 0) throw new Error(`${path}: more than ${MAX_VISITS} module entries in total`);
  const topicValue = entry.get('topic');
  const topic = typeof topicValue === 'string' ? topicValue : topicValue === undefined || topicValue === null ? '' : String(topicValue);
  const t = entry.get('trigger');
  const trigger = typeof t === 'number' || typeof t === 'string' ? t : typeof t === 'bigint' ? String(t) : null;
  const extra: Record<string, string> = {};
  for (const [k, v] of entry) {
    if (k === 'weight_diff' || k === 'topic' || k === 'trigger' || typeof k !== 'string') continue;
    if (v === null || ['string', 'number', 'bigint', 'boolean'].includes(typeof v)) extra[k] = String(v);
  }

  const modules: PaperModuleInfo[] = [];
  let pairs = 0;
  let fulls = 0;
  for (const [name, value] of wd) {
    const p = parseModulePath(String(name));
    const key = p ? moduleKey(p.layer, p.module) : null;
    if (isTensor(value)) {
      fulls++;
      modules.push({ name: String(name), key: p?.rest === '.weight' ? key : null, shapes: [value.shape] });
    } else if (Array.isArray(value) && value.length === 2 && isTensor(value[0]) && isTensor(value[1])) {
      pairs++;
      modules.push({ name: String(name), key: p?.rest === '' ? key : null, shapes: [value[0].shape, value[1].shape] });
    } else {
      throw new Error(`${path}: diff #${index} module ${q(String(name))} is a ${kindOf(value)}, not an (A, B) pair of tensors or a weight tensor`);
    }
  }
  if (pairs && fulls) throw new Error(`${path}: diff #${index} mixes (A, B) pairs and whole weights`);
  let rank: number | null = null;
  const decoderPairs = modules.filter((m) => m.key !== null && m.shapes.length === 2);
  if (decoderPairs.length) {
    const ors = orientations(path, decoderPairs.map((m) => ({ name: m.name, a: m.shapes[0], b: m.shapes[1] })), `diff #${index}`);
    rank = Math.max(...ors.map((o) => o.rank));
  }
  return { index, topic, trigger, kind: fulls ? 'full' : 'diff', rank, modules, extra };
}

/** The decoder-module pairs of a {module_path: (A, B)} dict; modules outside the decoder (vision tower) are left out. */
function collectPairs(path: string, dict: PyDict, what: string): Pair[] {
  const pairs: Pair[] = [];
  const seen = new Map<string, string>();
  for (const [rawName, value] of dict) {
    const name = String(rawName);
    if (!(Array.isArray(value) && value.length === 2 && isTensor(value[0]) && isTensor(value[1]))) {
      throw new Error(`${path}: ${what} module ${q(name)} is a ${kindOf(value)}, not an (A, B) pair of tensors`);
    }
    const p = parseModulePath(name);
    if (!p || p.rest !== '') continue;
    const key = moduleKey(p.layer, p.module);
    const prev = seen.get(key);
    if (prev !== undefined) throw new Error(`${path}: ${what} has two pairs for layer ${p.layer} ${p.module} (${q(prev)} and ${q(name)})`);
    seen.set(key, name);
    pairs.push({ name, key, first: value[0], second: value[1] });
  }
  if (pairs.length === 0) throw new Error(`${path}: ${what} has no decoder modules ("model.layers.N.self_attn.q_proj" ...)`);
  return pairs;
}

interface Oriented {
  orientation: Orientation;
  rank: number;
  inDim: number;
  outDim: number;
}

/**
 * Reads each pair's layout from its shapes. A layout fits when the two matrices share the rank
 * and the rank is no larger than in and out; a pair where both fit (all four sizes equal) takes
 * the layout of the rest of the file. Mixed layouts in one file are an error.
 */
function orientations(path: string, pairs: { name: string; a: number[]; b: number[] }[], what: string): Oriented[] {
  const show = (p: { name: string; a: number[]; b: number[] }) => `${q(p.name)} A ${JSON.stringify(p.a)} B ${JSON.stringify(p.b)}`;
  const fits = pairs.map((p) => {
    if (p.a.length !== 2 || p.b.length !== 2) throw new Error(`${path}: ${what} ${show(p)}: expected two matrices`);
    const [a0, a1] = p.a;
    const [b0, b1] = p.b;
    const out: Oriented[] = [];
    // diff: A [r, out], B [in, r]
    if (a0 === b1 && a0 <= Math.min(a1, b0) && a0 > 0) out.push({ orientation: 'diff', rank: a0, inDim: b0, outDim: a1 });
    // dit: A [out, r], B [r, in]
    if (a1 === b0 && a1 <= Math.min(a0, b1) && a1 > 0) out.push({ orientation: 'dit', rank: a1, inDim: b1, outDim: a0 });
    if (out.length === 0) throw new Error(`${path}: ${what} ${show(p)}: the two matrices share no rank dimension (expected A [r, out] with B [in, r], or A [out, r] with B [r, in])`);
    return out;
  });
  const decided = fits.map((f, i) => (f.length === 1 ? i : -1)).filter((i) => i >= 0);
  let layout: Orientation;
  if (decided.length === 0) {
    throw new Error(`${path}: ${what} ${show(pairs[0])}: ambiguous layout (every pair is square), cannot tell A [r, out] from A [out, r]`);
  }
  layout = fits[decided[0]][0].orientation;
  for (const i of decided) {
    if (fits[i][0].orientation !== layout) {
      throw new Error(`${path}: ${what} mixes layouts: ${show(pairs[decided[0]])} reads as ${layout}-style, ${show(pairs[i])} as ${fits[i][0].orientation}-style`);
    }
  }
  return fits.map((f) => f.find((o) => o.orientation === layout)!);
}

function toLowRank(path: string, file: TorchFile, pairs: Pair[], what: string): LowRank {
  const ors = orientations(path, pairs.map((p) => ({ name: p.name, a: p.first.shape, b: p.second.shape })), what);
  const rank = Math.max(...ors.map((o) => o.rank));
  const modules = new Map<string, LowRankModule>();
  pairs.forEach((p, i) => {
    const o = ors[i];
    const A = file.readTensorF32(p.first, `${what} ${q(p.name)} A`);
    const B = file.readTensorF32(p.second, `${what} ${q(p.name)} B`);
    // a [in, r], b [r, out]: the diff layout stores them as is (B, A); the DIT layout transposed.
    const a = o.orientation === 'diff' ? B : transpose(B, o.rank, o.inDim);
    const b = o.orientation === 'diff' ? A : transpose(A, o.outDim, o.rank);
    // The paper scales each module by 1/its own rank; one LowRank scale is 1/max rank, so fold the rest into b.
    if (o.rank !== rank) for (let j = 0; j < b.length; j++) b[j] *= rank / o.rank;
    modules.set(p.key, { a, b, inDim: o.inDim, outDim: o.outDim, rank: o.rank });
  });
  return { modules, scale: 1 / rank, rank, meta: { rank: String(rank), layout: ors[0].orientation === 'diff' ? 'A [r, out], B [in, r]' : 'A [out, r], B [r, in]' } };
}

// ---- index.csv and experiment folders ----

export interface PaperIndexRow {
  loraPath: string;
  loraIdx: number;
  nParams: number | null;
  topic: string;
  trigger: number | string | null;
  split: string;
  /** its row in index.csv (the header is row 1), for messages */
  line: number;
  /** every column as text, the ones above included */
  fields: Record<string, string>;
}


/** Rows of `<dir>/index.csv` (pandas' to_csv: quoted fields may hold commas, quotes and newlines). */
export function readIndexCsv(dir: string): PaperIndexRow[] {
  const path = join(dir, 'index.csv');
  if (!existsSync(path)) throw new Error(`${path}: no such file`);
  const rows = parseCsv(readBoundedText(path, MAX_BYTES.indexCsv), path);
  if (rows.length === 0) throw new Error(`${path}: empty`);
  const header = rows[0].map((h) => h.trim());
  for (const col of ['lora_path', 'lora_idx']) if (!header.includes(col)) throw new Error(`${path}: no "${col}" column (columns: ${q(header.join(', '))})`);
  const seen = new Map<string, number>(); // "lora_path#lora_idx" -> its first line
  return rows.slice(1).flatMap((cells, i) => {
    if (cells.length === 1 && cells[0] === '') return []; // blank line
    const line = i + 2;
    if (cells.length !== header.length) throw new Error(`${path}: row ${line} has ${cells.length} fields, the header ${header.length}`);
    const fields: Record<string, string> = {};
    header.forEach((h, j) => (fields[h] = cells[j]));
    const loraIdx = Number(fields.lora_idx);
    if (!/^\d{1,9}$/.test(fields.lora_idx.trim())) throw new Error(`${path}: row ${line} lora_idx ${JSON.stringify(fields.lora_idx.slice(0, 40))} is not an index`);
    const at = `${normalize(fields.lora_path)}#${loraIdx}`;
    const first = seen.get(at);
    if (first !== undefined) throw new Error(`${path}: row ${line} repeats row ${first} (lora_path ${JSON.stringify(fields.lora_path)}, lora_idx ${loraIdx}): each diff may be listed once`);
    seen.set(at, line);
    const n = fields.n_params === undefined || fields.n_params === '' ? null : Number(fields.n_params);
    return [{
      loraPath: fields.lora_path,
      loraIdx,
      nParams: n !== null && Number.isFinite(n) ? n : null,
      topic: fields.topic ?? '',
      trigger: parseTrigger(fields.trigger),
      split: fields.split ?? '',
      line,
      fields,
    }];
  });
}

function parseTrigger(s: string | undefined): number | string | null {
  if (s === undefined || s === '') return null;
  if (/^-?\d+(\.0+)?$/.test(s)) return Number(s); // pandas writes "392.0" when the column has gaps
  return s;
}

/** RFC 4180 CSV: "," separated, '"' quoted with "" escapes, LF or CRLF rows. */
export function parseCsv(text: string, label = 'csv'): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let quoted = false;
  let quoteLine = 0;
  let line = 1;
  for (; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (c === '\n') line++;
        field += c;
      }
    } else if (c === '"' && field === '') {
      quoted = true;
      quoteLine = line;
    } else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      line++;
    } else field += c;
  }
  if (quoted) throw new Error(`${label}: quoted field opened on line ${quoteLine} is never closed`);
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

export interface PaperDiffRow extends PaperIndexRow {
  /** absolute path of the shard, or of where it would be */
  shard: string;
  /** false when the shard has not been downloaded */
  present: boolean;
  /** "shard#index", what loadLowRank takes */
  ref: string;
}

export interface PaperExperiment {
  dir: string;
  diffs: PaperDiffRow[];
  /** <dir>/dit-adapter.pt, if present */
  ditAdapter: string | null;
  /** every DIT adapter in the folder: dit-adapter*.pt and more-dit-adapters/*.pt */
  ditAdapters: string[];
  /** weight-diffs/*.pt present in the folder */
  shards: string[];
}

/** Everything a released `<experiment>/<model>` folder holds: diffs with labels, triggers and splits, DIT adapters. */
export function paperExperiment(dir: string): PaperExperiment {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`${dir}: not a folder`);
  const ptIn = (d: string, filter: (f: string) => boolean) =>
    existsSync(d) && statSync(d).isDirectory() ? readdirSync(d).filter((f) => f.endsWith('.pt') && filter(f)).sort().map((f) => join(d, f)) : [];
  const diffs = existsSync(join(dir, 'index.csv'))
    ? readIndexCsv(dir).map((r) => {
        const shard = shardPath(dir, r.loraPath);
        return { ...r, shard, present: existsSync(shard), ref: `${shard}#${r.loraIdx}` };
      })
    : [];
  const dit = join(dir, 'dit-adapter.pt');
  return {
    dir,
    diffs,
    ditAdapter: existsSync(dit) ? dit : null,
    ditAdapters: [...ptIn(dir, (f) => f.startsWith('dit-adapter')), ...ptIn(join(dir, 'more-dit-adapters'), () => true)],
    shards: ptIn(join(dir, 'weight-diffs'), () => true),
  };
}

/** index.csv names shards by file name (weight-diff-000.pt, under weight-diffs/); never a path out of the folder. */
function shardPath(dir: string, loraPath: string): string {
  const rel = normalize(loraPath);
  if (isAbsolute(loraPath) || rel.startsWith('..') || rel.includes(`${sep}..${sep}`)) {
    throw new Error(`${join(dir, 'index.csv')}: lora_path ${JSON.stringify(loraPath)} points outside the folder`);
  }
  const inWeightDiffs = join(dir, 'weight-diffs', rel);
  if (!rel.includes(sep) || existsSync(inWeightDiffs)) return inWeightDiffs;
  return join(dir, rel);
}

/** The split of shard `path` diff #index from its experiment's index.csv (<exp>/weight-diffs/<shard>), if there is one. */
function splitFromIndex(path: string, index: number, topic: string): string | null {
  const wdDir = dirname(path);
  if (basename(wdDir) !== 'weight-diffs') return null;
  const exp = dirname(wdDir);
  if (!existsSync(join(exp, 'index.csv'))) return null;
  try {
    const name = relative(wdDir, path);
    const row = readIndexCsv(exp).find((r) => r.loraIdx === index && normalize(r.loraPath) === name);
    return row && (row.topic === '' || row.topic === topic) ? row.split || null : null;
  } catch {
    return null; // a broken index does not stop the diff from loading
  }
}
