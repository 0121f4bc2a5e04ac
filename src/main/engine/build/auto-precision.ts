// `--precision auto`: the most precise weights that fit the machine. On the CPU provider that is
// the first of fp32, int8, int4 whose weights take at most FIT_FRACTION of the memory free now;
// where a GPU provider can run, fp16. Import, doctor and the UI's model details share this.
import { freemem } from 'node:os';
import type { ModelConfig } from '../hf/config.ts';
import { MODULES, moduleShape } from '../modules.ts';
import { precisionFor, type Precision, type PrecisionId } from './precision.ts';

export type PrecisionChoice = PrecisionId | 'auto';

/** Weights may take this much of the free memory: the rest is the KV cache, activations, the OS and the app. */
const FIT_FRACTION = 0.6;
const CPU_ORDER: PrecisionId[] = ['fp32', 'int8', 'int4'];

/** Bytes of model.onnx.data at a precision: every linear, the embedding table, an untied head. */
export function weightBytes(config: ModelConfig, precision: Precision): number {
  const linears = MODULES.reduce((sum, m) => {
    const [inDim, outDim] = moduleShape(config, m);
    return sum + precision.matrixBytes(outDim, inDim);
  }, 0);
  const table = precision.matrixBytes(config.vocabSize, config.hiddenSize);
  const head = config.tieWordEmbeddings && precision.id !== 'fp16' ? 0 : table;
  return linears * config.numLayers + table + head;
}

export interface AutoDecision {
  precision: PrecisionId;
  reason: string;
  weightBytes: number;
}

const gb = (n: number) => (n >= 1e9 ? `${(n / 1e9).toFixed(1)} GB` : `${(n / 1e6).toFixed(1)} MB`);

export function choosePrecision(
  config: ModelConfig,
  opts: { gpu?: string | null; freeBytes?: number; blockSize?: number } = {},
): AutoDecision {
  if (opts.gpu) {
    const bytes = weightBytes(config, precisionFor('fp16'));
    return { precision: 'fp16', weightBytes: bytes, reason: `fp16: the ${opts.gpu} provider runs fp16 natively (${gb(bytes)} of weights)` };
  }
  const free = opts.freeBytes ?? freemem();
  const budget = free * FIT_FRACTION;
  const sizes = CPU_ORDER.map((id) => ({ id, bytes: weightBytes(config, precisionFor(id, opts.blockSize)) }));
  const fit = sizes.find((s) => s.bytes <= budget);
  if (fit) {
    const better = sizes.slice(0, sizes.indexOf(fit)).map((s) => `${s.id} needs ${gb(s.bytes)}`);
    const why = better.length ? `; ${better.join(', ')}` : '';
    return { precision: fit.id, weightBytes: fit.bytes, reason: `${fit.id}: ${gb(fit.bytes)} of weights fit in ${gb(budget)} (${Math.round(FIT_FRACTION * 100)}% of ${gb(free)} free memory)${why}` };
  }
  const int4 = sizes.at(-1)!;
  return {
    precision: 'int4',
    weightBytes: int4.bytes,
    reason: `int4: the smallest precision; its ${gb(int4.bytes)} of weights exceed ${gb(budget)} (${Math.round(FIT_FRACTION * 100)}% of ${gb(free)} free memory), so answers may be slow or fail`,
  };
}
