// A restricted pickle VM for the data.pkl inside torch.save archives. It reads the opcodes of
// protocols 0-5 that plain data can use, and never executes anything: GLOBAL / STACK_GLOBAL resolve
// only names on the allow-list below (tensor rebuilders, OrderedDict, storage and dtype markers,
// a few data helpers), each implemented here as data construction. Any other name — os.system,
// builtins.eval, a user's class — ends the load at the GLOBAL itself, before anything could be
// called. Torch storages come through BINPERSID as lazy references to `<archive>/data/<key>`.
//
// Hostile input ends in one clean Error: every declared length is checked against the bytes that
// remain, every opcode consumes input, and stack, memo, mark depth, string and object counts are
// bounded, so time and memory are linear in the pickle's size and capped by the limits.
//
// What torch writes (checked with torch 1.13's torch.save and pickletools): protocol 2;
// GLOBAL torch._utils._rebuild_tensor_v2, collections.OrderedDict, torch.<Type>Storage,
// torch._utils._rebuild_parameter for nn.Parameter; BINPERSID ('storage', <Type>Storage, key,
// location, numel). torch 2.x adds _rebuild_tensor_v3 (dtype argument, UntypedStorage),
// _rebuild_parameter_with_state and torch._tensor._rebuild_from_type_v2; protocol 4 (FRAME,
// SHORT_BINUNICODE, MEMOIZE, STACK_GLOBAL) when asked for.

export type TorchDtype =
  | 'float64' | 'float32' | 'float16' | 'bfloat16'
  | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'uint16' | 'uint32' | 'uint64' | 'bool'
  | 'complex64' | 'complex128' | 'qint8' | 'quint8' | 'qint32' | 'quint4x2' | 'quint2x4'
  | 'float8_e4m3fn' | 'float8_e5m2' | 'float8_e4m3fnuz' | 'float8_e5m2fnuz';

export const DTYPE_BYTES: Record<TorchDtype, number> = {
  float64: 8, float32: 4, float16: 2, bfloat16: 2,
  int64: 8, int32: 4, int16: 2, int8: 1, uint8: 1, uint16: 2, uint32: 4, uint64: 8, bool: 1,
  complex64: 8, complex128: 16, qint8: 1, quint8: 1, qint32: 4, quint4x2: 1, quint2x4: 1,
  float8_e4m3fn: 1, float8_e5m2: 1, float8_e4m3fnuz: 1, float8_e5m2fnuz: 1,
};

/** One serialized storage: the bytes of zip entry `<archive>/data/<key>`, read on demand. */
export interface TorchStorage {
  kind: 'storage';
  key: string;
  dtype: TorchDtype; // uint8 for an UntypedStorage
  numel: number; // elements of dtype
  location: string; // 'cpu', 'cuda:0' ... (informational: everything is read to the CPU)
}

/** A tensor as torch.save describes it: a strided view into a storage. Nothing is read yet. */
export interface TorchTensor {
  kind: 'tensor';
  dtype: TorchDtype;
  shape: number[];
  stride: number[]; // in elements
  storageOffset: number; // in elements of dtype
  storage: TorchStorage;
}

/** Python values as this reader builds them. Tuples are frozen arrays, dicts are Maps, sets are arrays. */
export type PyKey = string | number | bigint | boolean | null;
export type PyValue = PyKey | Uint8Array | PyValue[] | readonly PyValue[] | PyDict | TorchTensor | TorchStorage | PyGlobal | NumpyDtype;
export type PyDict = Map<PyKey, PyValue>;

/** An allow-listed global, as a value (a callable or a type marker). */
export class PyGlobal {
  constructor(readonly name: string) {}
}

class NumpyDtype {
  order = '|';
  constructor(readonly code: string) {}
}

export const isTuple = (v: unknown): v is readonly PyValue[] => Array.isArray(v) && Object.isFrozen(v);
export const isList = (v: unknown): v is PyValue[] => Array.isArray(v) && !Object.isFrozen(v);
export const isDict = (v: unknown): v is PyDict => v instanceof Map;
export const isTensor = (v: unknown): v is TorchTensor => typeof v === 'object' && v !== null && (v as TorchTensor).kind === 'tensor';

export interface PickleLimits {
  maxStack: number; // values on the stack, all marks included
  maxMarkDepth: number;
  maxMemo: number;
  maxStringBytes: number; // one str or bytes value
  maxObjects: number; // values created in total
  maxLongBytes: number; // one LONG1/LONG4 integer
  maxDims: number;
}

export const DEFAULT_PICKLE_LIMITS: PickleLimits = {
  maxStack: 1 << 20,
  maxMarkDepth: 1 << 12,
  maxMemo: 1 << 24,
  maxStringBytes: 16 << 20,
  maxObjects: 1 << 26,
  maxLongBytes: 64,
  maxDims: 64,
};

// ---- the allow-list ----

const STORAGE_DTYPES: Record<string, TorchDtype> = {
  DoubleStorage: 'float64', FloatStorage: 'float32', HalfStorage: 'float16', BFloat16Storage: 'bfloat16',
  LongStorage: 'int64', IntStorage: 'int32', ShortStorage: 'int16', CharStorage: 'int8', ByteStorage: 'uint8',
  BoolStorage: 'bool', ComplexFloatStorage: 'complex64', ComplexDoubleStorage: 'complex128',
  QInt8Storage: 'qint8', QUInt8Storage: 'quint8', QInt32Storage: 'qint32', QUInt4x2Storage: 'quint4x2',
  QUInt2x4Storage: 'quint2x4', UntypedStorage: 'uint8',
};

/** Storage types by global name: torch.FloatStorage, torch.cuda.FloatStorage (torch < 1.12), torch.storage.UntypedStorage. */
const STORAGE_GLOBALS = new Map<string, TorchDtype>();
for (const [cls, dtype] of Object.entries(STORAGE_DTYPES)) {
  STORAGE_GLOBALS.set(`torch.${cls}`, dtype);
  STORAGE_GLOBALS.set(`torch.cuda.${cls}`, dtype);
}
STORAGE_GLOBALS.set('torch.storage.UntypedStorage', 'uint8');

/** dtype objects pickle as module attributes: GLOBAL torch bfloat16 (the argument of _rebuild_tensor_v3). */
const DTYPE_GLOBALS = new Map<string, TorchDtype>(
  (Object.keys(DTYPE_BYTES) as TorchDtype[]).map((d) => [`torch.${d}`, d]),
);
for (const [alias, d] of [['float', 'float32'], ['double', 'float64'], ['half', 'float16'], ['long', 'int64'], ['int', 'int32'], ['short', 'int16']] as const) {
  DTYPE_GLOBALS.set(`torch.${alias}`, d);
}

/** Types that only appear as arguments (never called). */
const TYPE_MARKERS = new Set(['torch.Tensor', 'torch._tensor.Tensor', 'torch.nn.parameter.Parameter']);

type Call = (args: readonly PyValue[], vm: Vm) => PyValue;

/** What _rebuild_from_type_v2 may wrap (never itself: no recursion through nested arguments). */
const REBUILDERS = new Set(['torch._utils._rebuild_tensor', 'torch._utils._rebuild_tensor_v2', 'torch._utils._rebuild_tensor_v3', 'torch._utils._rebuild_parameter', 'torch._utils._rebuild_parameter_with_state']);

/** The callables a weight file may name, each implemented here as plain data construction. */
const CALLS: Record<string, Call> = {
  'torch._utils._rebuild_tensor': (a, vm) => vm.tensor(a, null),
  'torch._utils._rebuild_tensor_v2': (a, vm) => vm.tensor(a, null),
  'torch._utils._rebuild_tensor_v3': (a, vm) => vm.tensor(a, vm.dtypeArg(a[6])),
  'torch._utils._rebuild_parameter': (a, vm) => vm.tensorArg(a[0], 'Parameter data'),
  'torch._utils._rebuild_parameter_with_state': (a, vm) => vm.tensorArg(a[0], 'Parameter data'),
  'torch._tensor._rebuild_from_type_v2': (a, vm) => {
    // (func, new_type, args, state): torch 2.x's wrapper for tensors carrying Python attributes.
    const [func, type, args] = a;
    if (!(type instanceof PyGlobal) || !TYPE_MARKERS.has(type.name)) vm.fail(`_rebuild_from_type_v2 of a ${describe(type)}, not a tensor type`);
    if (!(func instanceof PyGlobal) || !REBUILDERS.has(func.name)) vm.fail(`_rebuild_from_type_v2 with ${describe(func)}, not a tensor rebuild function`);
    return vm.tensorArg(vm.call(func, vm.tupleArg(args, 'rebuild arguments')), 'rebuilt tensor');
  },
  'collections.OrderedDict': (a, vm) => {
    if (a.length !== 0) vm.fail('OrderedDict(...) with arguments');
    return vm.created(new Map());
  },
  'torch.Size': (a, vm) => vm.created(Object.freeze([...vm.tupleArg(a[0], 'torch.Size')])),
  'torch.device': (a, vm) => vm.created(a.map((x) => String(x)).join(':')),
  '_codecs.encode': (a, vm) => {
    // protocol 2 pickles bytes as _codecs.encode(text, 'latin1')
    if (typeof a[0] !== 'string' || (a[1] !== 'latin1' && a[1] !== 'latin-1')) vm.fail('_codecs.encode other than (str, "latin1")');
    return vm.created(Uint8Array.from(Buffer.from(a[0] as string, 'latin1')));
  },
  'builtins.set': (a, vm) => vm.created([...vm.seqArg(a[0] ?? [], 'set')]),
  'builtins.frozenset': (a, vm) => vm.created([...vm.seqArg(a[0] ?? [], 'frozenset')]),
  'numpy.dtype': (a, vm) => {
    if (typeof a[0] !== 'string') vm.fail('numpy.dtype without a type code');
    return vm.created(new NumpyDtype(a[0] as string));
  },
  'numpy.core.multiarray.scalar': (a, vm) => vm.numpyScalar(a),
  'numpy._core.multiarray.scalar': (a, vm) => vm.numpyScalar(a),
};

/** Python 2 module names that protocol 2 writes for builtins. */
const MODULE_ALIASES: Record<string, string> = { __builtin__: 'builtins', copy_reg: 'copyreg', commands: 'subprocess', exceptions: 'builtins', cPickle: 'pickle' };

function resolveGlobal(module: string, name: string): string {
  return `${MODULE_ALIASES[module] ?? module}.${name}`;
}

function isAllowed(full: string): boolean {
  return Object.hasOwn(CALLS, full) || STORAGE_GLOBALS.has(full) || DTYPE_GLOBALS.has(full) || TYPE_MARKERS.has(full);
}

function describe(v: unknown): string {
  if (v === null) return 'None';
  if (Array.isArray(v)) return Object.isFrozen(v) ? 'tuple' : 'list';
  if (v instanceof Map) return 'dict';
  if (v instanceof Uint8Array) return 'bytes';
  if (v instanceof PyGlobal) return JSON.stringify(v.name);
  if (isTensor(v)) return 'tensor';
  if (v instanceof NumpyDtype) return 'numpy dtype';
  if (typeof v === 'object' && (v as TorchStorage).kind === 'storage') return 'storage';
  return typeof v === 'string' ? 'str' : typeof v;
}

// ---- the machine ----

class Vm {
  private pos = 0;
  private stack: PyValue[] = [];
  private readonly marks: PyValue[][] = [];
  private live = 0; // values on all stacks
  private objects = 0;
  private readonly memo: PyValue[] = []; // dense in practice: BINPUT numbers count up from 0
  private memoSize = 0;
  readonly storages = new Map<string, TorchStorage>();
  private readonly globals = new Map<string, PyGlobal>();
  private readonly utf8 = new TextDecoder('utf-8', { fatal: true });

  constructor(
    private readonly data: Uint8Array,
    private readonly label: string,
    private readonly limits: PickleLimits,
  ) {}

  fail(msg: string): never {
    throw new Error(`${this.label}: pickle (byte ${this.pos}): ${msg}`);
  }

  created<T extends PyValue>(v: T): T {
    if (++this.objects > this.limits.maxObjects) this.fail(`more than ${this.limits.maxObjects} values`);
    return v;
  }

  // ---- input ----

  private need(n: number, what: string): void {
    if (n > this.data.length - this.pos) this.fail(`${what} needs ${n} bytes but only ${this.data.length - this.pos} remain`);
  }
  private u8(): number {
    this.need(1, 'an argument');
    return this.data[this.pos++];
  }
  private le(n: number): number {
    this.need(n, 'an argument');
    let v = 0;
    for (let i = n - 1; i >= 0; i--) v = v * 256 + this.data[this.pos + i];
    this.pos += n;
    return v;
  }
  private i32(): number {
    const v = this.le(4);
    return v >= 2 ** 31 ? v - 2 ** 32 : v;
  }
  private length(bytes: number, what: string): number {
    const n = this.le(bytes); // up to 2^64: a double is enough to compare with what remains
    if (n > this.limits.maxStringBytes) this.fail(`${what} of ${n} bytes is over the ${this.limits.maxStringBytes}-byte limit`);
    this.need(n, what);
    return n;
  }
  private bytes(n: number): Uint8Array {
    const out = this.data.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  private text(n: number): string {
    try {
      return this.utf8.decode(this.data.subarray(this.pos, (this.pos += n)));
    } catch {
      return this.fail('string is not valid UTF-8');
    }
  }
  private line(): string {
    const max = Math.min(this.data.length, this.pos + 65536);
    let end = this.pos;
    while (end < max && this.data[end] !== 0x0a) end++;
    if (end >= max) this.fail('a text argument has no end of line within 64 KiB');
    let s = '';
    for (let i = this.pos; i < end; i++) s += String.fromCharCode(this.data[i]);
    this.pos = end + 1;
    return s;
  }

  // ---- stack ----

  private push(v: PyValue): void {
    if (++this.live > this.limits.maxStack) this.fail(`stack grows past ${this.limits.maxStack} values`);
    this.stack.push(v);
  }
  private pop(): PyValue {
    if (this.stack.length === 0) this.fail('stack underflow');
    this.live--;
    return this.stack.pop() as PyValue;
  }
  private top(): PyValue {
    if (this.stack.length === 0) this.fail('stack underflow');
    return this.stack[this.stack.length - 1];
  }
  private mark(): void {
    if (this.marks.length >= this.limits.maxMarkDepth) this.fail(`MARKs nest deeper than ${this.limits.maxMarkDepth}`);
    this.marks.push(this.stack);
    this.stack = [];
  }
  private popMark(): PyValue[] {
    const items = this.stack;
    const prev = this.marks.pop();
    if (!prev) this.fail('no MARK to pop to');
    this.stack = prev;
    this.live -= items.length;
    return items;
  }
  private memoPut(i: number, v: PyValue): void {
    if (i >= this.limits.maxMemo) this.fail(`memo index ${i} is past the ${this.limits.maxMemo}-entry limit`);
    if (this.memo[i] === undefined) this.memoSize++;
    this.memo[i] = v;
  }
  private memoGet(i: number): PyValue {
    const v = this.memo[i];
    if (v === undefined) this.fail(`memo entry ${i} is used before it is set`);
    return v;
  }

  // ---- values ----

  private int(v: bigint): number | bigint {
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  }
  private long(n: number): number | bigint {
    if (n > this.limits.maxLongBytes) this.fail(`integer of ${n} bytes is over the ${this.limits.maxLongBytes}-byte limit`);
    this.need(n, 'an integer');
    if (n === 0) return 0;
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(this.data[this.pos + i]);
    if (this.data[this.pos + n - 1] & 0x80) v -= 1n << BigInt(8 * n);
    this.pos += n;
    return this.int(v);
  }
  private textInt(s: string): number | bigint {
    const t = s.trim().replace(/L$/, '');
    if (!/^[+-]?\d{1,400}$/.test(t)) this.fail(`${JSON.stringify(s.slice(0, 40))} is not an integer`);
    return this.int(BigInt(t));
  }
  private key(k: PyValue): PyKey {
    if (k === null || typeof k === 'string' || typeof k === 'number' || typeof k === 'bigint' || typeof k === 'boolean') return k;
    return this.fail(`a ${describe(k)} as a dict key`);
  }
  private setItems(target: PyValue, items: PyValue[]): void {
    if (!(target instanceof Map)) this.fail(`SETITEM on a ${describe(target)}`);
    if (items.length % 2) this.fail('SETITEMS with an odd number of values');
    for (let i = 0; i < items.length; i += 2) target.set(this.key(items[i]), items[i + 1]);
  }
  private appendItems(target: PyValue, items: PyValue[]): void {
    if (!isList(target)) this.fail(`APPEND to a ${describe(target)}`);
    for (const x of items) target.push(x);
  }

  private global(module: string, name: string): PyGlobal {
    const seen = this.globals.get(`${module}\n${name}`); // only allowed names are ever cached
    if (seen) return seen;
    const full = resolveGlobal(module, name);
    if (!isAllowed(full)) {
      throw new Error(`${this.label}: pickle names ${JSON.stringify(full.slice(0, 200))}, which a weight file never needs; refusing to load it`);
    }
    const g = new PyGlobal(full);
    this.globals.set(`${module}\n${name}`, g);
    return g;
  }

  call(fn: PyValue, args: readonly PyValue[]): PyValue {
    if (!(fn instanceof PyGlobal) || !Object.hasOwn(CALLS, fn.name)) this.fail(`pickle calls ${describe(fn)}, which is not a callable a weight file uses`);
    return CALLS[fn.name](args, this);
  }

  tupleArg(v: PyValue | undefined, what: string): readonly PyValue[] {
    if (!isTuple(v)) this.fail(`${what} is a ${describe(v)}, not a tuple`);
    return v;
  }
  seqArg(v: PyValue | undefined, what: string): readonly PyValue[] {
    if (!Array.isArray(v)) this.fail(`${what} of a ${describe(v)}`);
    return v;
  }
  tensorArg(v: PyValue | undefined, what: string): TorchTensor {
    if (!isTensor(v)) this.fail(`${what} is a ${describe(v)}, not a tensor`);
    return v;
  }
  dtypeArg(v: PyValue | undefined): TorchDtype {
    const d = v instanceof PyGlobal ? DTYPE_GLOBALS.get(v.name) : undefined;
    if (!d) this.fail(`tensor dtype is a ${describe(v)}, not a torch dtype`);
    return d;
  }
  private dims(v: PyValue | undefined, what: string): number[] {
    const t = this.tupleArg(v, what);
    if (t.length > this.limits.maxDims) this.fail(`${what} has ${t.length} dimensions`);
    return t.map((d) => {
      if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) this.fail(`${what} ${JSON.stringify(t.map(String))} has an entry that is not a size`);
      return d;
    });
  }

  /** _rebuild_tensor(_v2/_v3)(storage, storage_offset, size, stride, ...): a view, checked to lie inside its storage. */
  tensor(a: readonly PyValue[], dtype: TorchDtype | null): TorchTensor {
    const storage = a[0];
    if (!this.isStorage(storage)) this.fail(`tensor storage is a ${describe(storage)}`);
    const storageOffset = a[1];
    if (typeof storageOffset !== 'number' || !Number.isSafeInteger(storageOffset) || storageOffset < 0) this.fail('tensor storage offset is not a size');
    const shape = this.dims(a[2], 'tensor size');
    const stride = this.dims(a[3], 'tensor stride');
    if (shape.length !== stride.length) this.fail(`tensor size ${JSON.stringify(shape)} and stride ${JSON.stringify(stride)} differ in length`);
    const t: TorchTensor = { kind: 'tensor', dtype: dtype ?? storage.dtype, shape, stride, storageOffset, storage };
    const storageBytes = storage.numel * DTYPE_BYTES[storage.dtype];
    const es = DTYPE_BYTES[t.dtype];
    if (shape.every((d) => d > 0)) {
      let last = storageOffset;
      for (let i = 0; i < shape.length; i++) last += (shape[i] - 1) * stride[i];
      if ((last + 1) * es > storageBytes) {
        this.fail(`tensor ${JSON.stringify(shape)} stride ${JSON.stringify(stride)} at offset ${storageOffset} reaches past its storage "${storage.key}" of ${storage.numel} ${storage.dtype}`);
      }
    }
    return this.created(t);
  }

  private isStorage(v: PyValue): v is TorchStorage {
    return typeof v === 'object' && v !== null && (v as TorchStorage).kind === 'storage';
  }

  /** BINPERSID ('storage', <Type>Storage, key, location, numel): one storage per key, read later. */
  private persistentLoad(pid: PyValue): TorchStorage {
    if (!isTuple(pid) || pid.length < 5 || pid[0] !== 'storage') this.fail(`persistent id is not a torch storage reference (${describe(pid)})`);
    const [, type, key, location, numel] = pid;
    const dtype = type instanceof PyGlobal ? STORAGE_GLOBALS.get(type.name) : undefined;
    if (!dtype) this.fail(`storage type is a ${describe(type)}`);
    if (typeof key !== 'string' || !/^[\w.-]{1,64}$/.test(key)) this.fail(`storage key ${JSON.stringify(String(key)).slice(0, 80)} is not a plain name`);
    if (typeof location !== 'string') this.fail('storage location is not a string');
    if (typeof numel !== 'number' || !Number.isSafeInteger(numel) || numel < 0) this.fail(`storage "${key}" size is not a count`);
    const seen = this.storages.get(key);
    if (seen) {
      if (seen.dtype !== dtype || seen.numel !== numel) this.fail(`storage "${key}" is described twice, as ${seen.numel} ${seen.dtype} and ${numel} ${dtype}`);
      return seen;
    }
    const s: TorchStorage = { kind: 'storage', key, dtype, numel, location };
    this.storages.set(key, s);
    return this.created(s);
  }

  numpyScalar(a: readonly PyValue[]): PyValue {
    const [dt, raw] = a;
    if (!(dt instanceof NumpyDtype) || !(raw instanceof Uint8Array)) this.fail('numpy scalar without a dtype and bytes');
    const m = /^([iufb])(\d)$/.exec(dt.code);
    const n = m ? Number(m[2]) : 0;
    if (!m || ![1, 2, 4, 8].includes(n) || raw.length !== n || (m[1] === 'f' && n === 1)) this.fail(`numpy scalar of dtype ${JSON.stringify(dt.code)} with ${raw.length} bytes`);
    const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const le = dt.order !== '>';
    switch (m[1]) {
      case 'b':
        return raw[0] !== 0;
      case 'f':
        return n === 2 ? halfToNumber(v.getUint16(0, le)) : n === 4 ? v.getFloat32(0, le) : v.getFloat64(0, le);
      case 'i':
        return n === 1 ? v.getInt8(0) : n === 2 ? v.getInt16(0, le) : n === 4 ? v.getInt32(0, le) : this.int(v.getBigInt64(0, le));
      default:
        return n === 1 ? v.getUint8(0) : n === 2 ? v.getUint16(0, le) : n === 4 ? v.getUint32(0, le) : this.int(v.getBigUint64(0, le));
    }
  }

  private build(target: PyValue, state: PyValue): void {
    if (target instanceof NumpyDtype) {
      // state (version, byteorder, ...)
      if (isTuple(state) && typeof state[1] === 'string') target.order = state[1];
      return;
    }
    // OrderedDict's instance dict (a state_dict's _metadata) and tensors' Python attributes carry no weights.
    if (target instanceof Map || isTensor(target)) return;
    this.fail(`BUILD on a ${describe(target)}`);
  }

  run(): PyValue {
    const d = this.data;
    for (;;) {
      if (this.pos >= d.length) this.fail('ends without STOP');
      const op = d[this.pos++];
      switch (op) {
        case 0x80: // PROTO
          if (this.u8() > 5) this.fail('protocol above 5');
          break;
        case 0x95: // FRAME: a buffering hint
          this.need(8, 'FRAME');
          if (this.le(8) > d.length - this.pos) this.fail('FRAME is longer than the data that remains');
          break;
        case 0x2e: // STOP
          if (this.marks.length) this.fail('STOP inside an open MARK');
          return this.pop();

        case 0x28: // MARK
          this.mark();
          break;
        case 0x30: // POP
          if (this.stack.length === 0 && this.marks.length) this.popMark();
          else this.pop();
          break;
        case 0x31: // POP_MARK
          this.popMark();
          break;
        case 0x32: // DUP
          this.push(this.top());
          break;

        case 0x4e: // NONE
          this.push(null);
          break;
        case 0x88: // NEWTRUE
          this.push(true);
          break;
        case 0x89: // NEWFALSE
          this.push(false);
          break;
        case 0x4b: // BININT1
          this.push(this.u8());
          break;
        case 0x4d: // BININT2
          this.push(this.le(2));
          break;
        case 0x4a: // BININT
          this.push(this.i32());
          break;
        case 0x8a: // LONG1
          this.push(this.long(this.u8()));
          break;
        case 0x8b: {
          // LONG4
          const n = this.i32();
          if (n < 0) this.fail('LONG4 with a negative length');
          this.push(this.long(n));
          break;
        }
        case 0x49: {
          // INT (text): "00"/"01" are False/True in protocol 0
          const s = this.line();
          this.push(s === '00' ? false : s === '01' ? true : this.textInt(s));
          break;
        }
        case 0x4c: // LONG (text)
          this.push(this.textInt(this.line()));
          break;
        case 0x47: {
          // BINFLOAT: big-endian double
          this.need(8, 'BINFLOAT');
          this.push(new DataView(d.buffer, d.byteOffset + this.pos, 8).getFloat64(0, false));
          this.pos += 8;
          break;
        }
        case 0x46: {
          // FLOAT (text)
          const s = this.line().trim();
          if (!/^[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?|inf|nan)$/i.test(s)) this.fail('FLOAT is not a number');
          this.push(Number(s.replace(/inf/i, 'Infinity').replace(/nan/i, 'NaN')));
          break;
        }

        case 0x58: // BINUNICODE
          this.push(this.created(this.text(this.length(4, 'BINUNICODE'))));
          break;
        case 0x8c: // SHORT_BINUNICODE
          this.push(this.created(this.text(this.length(1, 'SHORT_BINUNICODE'))));
          break;
        case 0x8d: // BINUNICODE8
          this.push(this.created(this.text(this.length(8, 'BINUNICODE8'))));
          break;
        case 0x54: // BINSTRING (Python 2 str; torch.load decodes these as UTF-8)
          this.push(this.created(this.text(this.length(4, 'BINSTRING'))));
          break;
        case 0x55: // SHORT_BINSTRING
          this.push(this.created(this.text(this.length(1, 'SHORT_BINSTRING'))));
          break;
        case 0x42: // BINBYTES
          this.push(this.created(this.bytes(this.length(4, 'BINBYTES'))));
          break;
        case 0x43: // SHORT_BINBYTES
          this.push(this.created(this.bytes(this.length(1, 'SHORT_BINBYTES'))));
          break;
        case 0x8e: // BINBYTES8
          this.push(this.created(this.bytes(this.length(8, 'BINBYTES8'))));
          break;
        case 0x96: // BYTEARRAY8
          this.push(this.created(this.bytes(this.length(8, 'BYTEARRAY8'))));
          break;

        case 0x5d: // EMPTY_LIST
          this.push(this.created([]));
          break;
        case 0x7d: // EMPTY_DICT
          this.push(this.created(new Map()));
          break;
        case 0x29: // EMPTY_TUPLE
          this.push(this.created(Object.freeze([])));
          break;
        case 0x8f: // EMPTY_SET
          this.push(this.created([]));
          break;
        case 0x6c: // LIST
          this.push(this.created(this.popMark()));
          break;
        case 0x74: // TUPLE
          this.push(this.created(Object.freeze(this.popMark())));
          break;
        case 0x91: // FROZENSET
          this.push(this.created(Object.freeze(this.popMark())));
          break;
        case 0x85: // TUPLE1
          this.push(this.created(Object.freeze([this.pop()])));
          break;
        case 0x86: {
          // TUPLE2
          const b = this.pop();
          this.push(this.created(Object.freeze([this.pop(), b])));
          break;
        }
        case 0x87: {
          // TUPLE3
          const c = this.pop();
          const b = this.pop();
          this.push(this.created(Object.freeze([this.pop(), b, c])));
          break;
        }
        case 0x64: {
          // DICT
          const m = this.created(new Map<PyKey, PyValue>());
          this.setItems(m, this.popMark());
          this.push(m);
          break;
        }
        case 0x61: {
          // APPEND
          const x = this.pop();
          this.appendItems(this.top(), [x]);
          break;
        }
        case 0x65: {
          // APPENDS
          const items = this.popMark();
          this.appendItems(this.top(), items);
          break;
        }
        case 0x90: {
          // ADDITEMS (sets are read as lists)
          const items = this.popMark();
          const set = this.top();
          if (!isList(set)) this.fail(`ADDITEMS to a ${describe(set)}`);
          for (const x of items) set.push(x);
          break;
        }
        case 0x73: {
          // SETITEM
          const v = this.pop();
          const k = this.pop();
          this.setItems(this.top(), [k, v]);
          break;
        }
        case 0x75: {
          // SETITEMS
          const items = this.popMark();
          this.setItems(this.top(), items);
          break;
        }

        case 0x71: // BINPUT
          this.memoPut(this.u8(), this.top());
          break;
        case 0x72: // LONG_BINPUT
          this.memoPut(this.le(4), this.top());
          break;
        case 0x70: // PUT (text)
          this.memoPut(Number(this.textInt(this.line())), this.top());
          break;
        case 0x94: // MEMOIZE
          this.memoPut(this.memoSize, this.top());
          break;
        case 0x68: // BINGET
          this.push(this.memoGet(this.u8()));
          break;
        case 0x6a: // LONG_BINGET
          this.push(this.memoGet(this.le(4)));
          break;
        case 0x67: // GET (text)
          this.push(this.memoGet(Number(this.textInt(this.line()))));
          break;

        case 0x63: {
          // GLOBAL "module\nname\n"
          const module = this.line();
          this.push(this.global(module, this.line()));
          break;
        }
        case 0x93: {
          // STACK_GLOBAL
          const name = this.pop();
          const module = this.pop();
          if (typeof module !== 'string' || typeof name !== 'string') this.fail('STACK_GLOBAL of non-strings');
          this.push(this.global(module, name));
          break;
        }
        case 0x52: {
          // REDUCE: only allow-listed callables, implemented above
          const args = this.tupleArg(this.pop(), 'REDUCE arguments');
          const fn = this.pop();
          this.push(this.call(fn, args));
          break;
        }
        case 0x81: {
          // NEWOBJ: cls.__new__(cls, *args); only OrderedDict is a class a weight file instantiates
          const args = this.tupleArg(this.pop(), 'NEWOBJ arguments');
          const cls = this.pop();
          if (!(cls instanceof PyGlobal) || cls.name !== 'collections.OrderedDict' || args.length) this.fail(`NEWOBJ of ${describe(cls)}`);
          this.push(this.created(new Map()));
          break;
        }
        case 0x62: {
          // BUILD
          const state = this.pop();
          this.build(this.top(), state);
          break;
        }
        case 0x51: // BINPERSID
          this.push(this.persistentLoad(this.pop()));
          break;

        case 0x69: {
          // INST "module\nname\n": names a class to instantiate
          const module = this.line();
          this.global(module, this.line());
          this.fail('INST is not used by weight files');
          break;
        }
        case 0x6f: // OBJ
          this.fail('OBJ is not used by weight files');
          break;
        case 0x92: // NEWOBJ_EX
          this.fail('NEWOBJ_EX is not used by weight files');
          break;
        case 0x50: // PERSID (text)
          this.fail('text PERSID is not used by torch.save');
          break;
        case 0x82:
        case 0x83:
        case 0x84: // EXT1/2/4: the copyreg extension registry
          this.fail('extension-registry opcodes are not used by weight files');
          break;
        case 0x97:
        case 0x98: // NEXT_BUFFER / READONLY_BUFFER
          this.fail('out-of-band buffers are not used by torch.save');
          break;
        default:
          this.fail(`unknown or unsupported opcode 0x${op.toString(16).padStart(2, '0')}`);
      }
    }
  }
}

function halfToNumber(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 0x1f) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

export interface Unpickled {
  root: PyValue;
  /** every storage the pickle references, by key */
  storages: Map<string, TorchStorage>;
}

/** Runs the restricted VM over one pickle. `label` starts every error message (the file's path). */
export function unpickle(data: Uint8Array, label: string, limits: Partial<PickleLimits> = {}): Unpickled {
  const vm = new Vm(data, label, { ...DEFAULT_PICKLE_LIMITS, ...limits });
  const root = vm.run();
  return { root, storages: vm.storages };
}
