// Argument checks for values that arrive over IPC or HTTP: every API argument passes one of these.
import type { SamplingSettings, Settings, StackEntry, AdapterFilter, ScoreRequest, ScoreCondition } from '../../shared/api.ts';

export class ArgumentError extends Error {}

const fail = (what: string, expected: string, v: unknown): never => {
  throw new ArgumentError(`${what}: expected ${expected}, got ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v}`);
};

export const str = (v: unknown, what: string, max = 1_000_000): string => {
  if (typeof v !== 'string') return fail(what, 'a string', v);
  if (v.length > max) throw new ArgumentError(`${what}: longer than ${max} characters`);
  return v;
};
export const num = (v: unknown, what: string): number => (typeof v === 'number' && Number.isFinite(v) ? v : fail(what, 'a finite number', v));
export const int = (v: unknown, what: string): number => (Number.isSafeInteger(v) ? (v as number) : fail(what, 'an integer', v));
export const bool = (v: unknown, what: string): boolean => (typeof v === 'boolean' ? v : fail(what, 'true or false', v));
export const oneOf = <T extends string>(v: unknown, what: string, options: readonly T[]): T =>
  options.includes(v as T) ? (v as T) : fail(what, `one of ${options.join(', ')}`, v);
export const nullable = <T>(v: unknown, f: (v: unknown) => T): T | null => (v === null || v === undefined ? null : f(v));
export const obj = (v: unknown, what: string): Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : fail(what, 'an object', v);
export const arr = <T>(v: unknown, what: string, each: (x: unknown, what: string) => T, max = 10_000): T[] => {
  if (!Array.isArray(v)) return fail(what, 'an array', v);
  if (v.length > max) throw new ArgumentError(`${what}: more than ${max} items`);
  return v.map((x, i) => each(x, `${what}[${i}]`));
};

/** Only the keys given, each checked; unknown keys are an error (a typo should not pass silently). */
export function fields<T>(v: unknown, what: string, spec: { [K in keyof T]: (x: unknown, what: string) => T[K] }): Partial<T> {
  const o = obj(v, what);
  const out: Partial<T> = {};
  for (const key of Object.keys(o)) {
    // own keys only: "__proto__" or "constructor" must not find Object.prototype's members
    const check = Object.hasOwn(spec, key) ? spec[key as keyof T] : undefined;
    if (!check) throw new ArgumentError(`${what}: unknown field "${key}"`);
    if (o[key] !== undefined) out[key as keyof T] = check(o[key], `${what}.${key}`);
  }
  return out;
}

const STACK_MODULES = ['q', 'k', 'v', 'o', 'gate', 'up', 'down'] as const;

export const stackPart = (v: unknown, what: string): StackEntry => {
  const o = obj(v, what);
  const part: StackEntry = { adapterId: str(o.adapterId, `${what}.adapterId`, 512), scale: num(o.scale, `${what}.scale`), role: oneOf(o.role, `${what}.role`, ['diff', 'dit'] as const) };
  // amplification's restriction (docs/amplification.md); checked against the model where the stack is resolved
  if (o.layers !== undefined && o.layers !== null) part.layers = arr(o.layers, `${what}.layers`, int, 1000);
  if (o.modules !== undefined && o.modules !== null) part.modules = arr(o.modules, `${what}.modules`, (m, w) => oneOf(m, w, STACK_MODULES), 7);
  return part;
};
export const stack = (v: unknown, what: string) => arr(v, what, stackPart, 16);

export const sampling = (v: unknown, what: string): Partial<SamplingSettings> =>
  fields<SamplingSettings>(v, what, {
    temperature: num,
    topK: int,
    topP: num,
    repetitionPenalty: num,
    maxTokens: int,
    stop: (x, w) => arr(x, w, (s, ww) => str(s, ww, 200), 16),
    seed: (x, w) => nullable(x, (y) => int(y, w)),
  });

export const settings = (v: unknown, what: string): Partial<Settings> =>
  fields<Settings>(v, what, {
    sampling: (x, w) => ({ ...(sampling(x, w) as SamplingSettings) }),
    provider: (x, w) => oneOf(x, w, ['auto', 'cpu', 'cuda', 'dml', 'coreml', 'webgpu'] as const),
    theme: (x, w) => oneOf(x, w, ['system', 'light', 'dark'] as const),
    blindMode: bool,
  });

export const adapterFilter = (v: unknown, what: string): AdapterFilter =>
  fields<AdapterFilter>(v ?? {}, what, {
    modelId: (x, w) => str(x, w, 512),
    kind: (x, w) => oneOf(x, w, ['diff', 'dit', 'full'] as const),
    split: (x, w) => oneOf(x, w, ['train', 'test'] as const),
    tag: (x, w) => str(x, w, 200),
    experiment: (x, w) => str(x, w, 512),
    limit: int,
    offset: int,
  });

export const scoreRequest = (v: unknown, what: string): ScoreRequest => {
  const r = fields<ScoreRequest>(v, what, {
    messageId: int,
    modelId: (x, w) => str(x, w, 512),
    text: (x, w) => str(x, w, 100_000),
    ids: (x, w) => arr(x, w, int, 100_000),
    question: (x, w) => str(x, w, 100_000),
    conditions: (x, w) =>
      arr(x, w, (c, cw) => {
        const o = fields<ScoreCondition>(c, cw, { name: (n, nw) => str(n, nw, 100), stack });
        if (o.name === undefined || o.stack === undefined) throw new ArgumentError(`${cw}: expected {name, stack}`);
        return o as ScoreCondition;
      }, 8),
    topK: int,
  });
  if (!r.conditions) throw new ArgumentError(`${what}.conditions: expected an array of {name, stack}`);
  return r as ScoreRequest;
};
