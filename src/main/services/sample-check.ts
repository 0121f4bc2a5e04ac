// Argument check of samples.draw (see check.ts): field names, types and sizes; the service checks
// the ranges (n, temperature, seed) with its own words.
import type { SampleRequest } from '../../shared/api.ts';
import { ArgumentError, arr, fields, int, num, stack, str } from './check.ts';

export const sampleRequest = (v: unknown, what: string): SampleRequest => {
  const r = fields<SampleRequest>(v, what, {
    modelId: (x, w) => str(x, w, 512),
    question: (x, w) => str(x, w, 10_000),
    conditions: (x, w) =>
      arr(
        x,
        w,
        (c, cw) => {
          const o = fields<SampleRequest['conditions'][number]>(c, cw, { name: (n, nw) => str(n, nw, 100), stack, prefix: (p, pw) => str(p, pw, 1000) });
          if (o.name === undefined || o.stack === undefined) throw new ArgumentError(`${cw}: expected {name, stack, prefix?}`);
          return o as SampleRequest['conditions'][number];
        },
        8,
      ),
    n: int,
    temperature: num,
    seed: int,
    topP: num,
    topK: int,
    maxTokens: int,
  });
  for (const k of ['modelId', 'question', 'conditions', 'n', 'temperature', 'seed'] as const) if (r[k] === undefined) throw new ArgumentError(`${what}.${k}: required`);
  return r as SampleRequest;
};
