// What the matrix kernels alone take per decoded token: a graph of nothing but the model's linears
// (every layer's seven, at the model's shapes and precision, then the output head), run on one
// token with the engine's session settings. Its time divides the decode step into the kernels'
// share and everything else (attention, norms, RoPE, the LoRA branch, the binding): the limit a
// leaner graph could approach, measured rather than assumed.
import * as ort from 'onnxruntime-node';
import { closeSync, mkdirSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Graph } from '../src/main/engine/build/graph.ts';
import { DataType } from '../src/main/engine/build/onnx.ts';
import { external } from '../src/main/engine/build/weight-file.ts';
import type { Manifest } from '../src/main/engine/library.ts';
import { median } from './decode.ts';

const DATA = 'model.data';

/** Weights written to the graph's external data file (an fp32 model is over protobuf's 2 GB). */
class Weights {
  private offset = 0;
  constructor(private readonly fd: number) {}

  /** Bytes whose values do not matter to the kernels' speed, but are not all zero (or `fill`). */
  tensor(g: Graph, name: string, dataType: number, dims: number[], bytes: number, fill?: Uint8Array): string {
    const chunk = 1 << 22;
    const data = new Uint8Array(Math.min(bytes, chunk));
    if (fill) for (let i = 0; i < data.length; i++) data[i] = fill[i % fill.length];
    else for (let i = 0; i < data.length; i += 61) data[i] = (i * 37) & 255;
    for (let done = 0; done < bytes; done += data.length) writeSync(this.fd, data, 0, Math.min(data.length, bytes - done), this.offset + done);
    const at = this.offset;
    this.offset += Math.ceil(bytes / 64) * 64;
    return g.initializer(external(name, dataType, dims, DATA, at, bytes));
  }
}

function linear(g: Graph, w: Weights, m: Manifest, x: string, K: number, N: number, id: number): string {
  const q = m.quantization;
  if (!q) return g.op('MatMul', `/m${id}`, [x, w.tensor(g, `w${id}`, DataType.FLOAT, [K, N], K * N * 4)]);
  const blocks = Math.ceil(K / q.blockSize);
  const blob = (q.blockSize * q.bits) / 8;
  const inputs = [
    x,
    w.tensor(g, `b${id}`, DataType.UINT8, [N, blocks, blob], N * blocks * blob),
    w.tensor(g, `s${id}`, DataType.FLOAT, [N * blocks], N * blocks * 4, new Uint8Array(new Float32Array([1e-3]).buffer)),
  ];
  if (q.zeroPoints) {
    const bytes = N * Math.ceil((blocks * q.bits) / 8);
    inputs.push(w.tensor(g, `z${id}`, DataType.UINT8, [bytes], bytes, new Uint8Array([0x88])));
  }
  return g.ms('MatMulNBits', `/m${id}`, inputs, { K, N, bits: q.bits, block_size: q.blockSize, accuracy_level: q.accuracyLevel })[0];
}

/** Median ms of one token through the model's linears alone (fp32, int8 or int4). */
export async function kernelFloorMs(work: string, m: Manifest, threads: number): Promise<number> {
  const s = m.shapes;
  const mod = (name: keyof typeof s.modules) => s.modules[name];
  const dir = join(work, 'kernel-floor');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const fd = openSync(join(dir, DATA), 'w');
  const w = new Weights(fd);
  const g = new Graph();
  const input = g.input('x', DataType.FLOAT, [1, 1, s.hidden]);
  let x = input;
  let kvSum: string | null = null; // k and v feed a second output, so that no linear is pruned
  let id = 0;
  for (let l = 0; l < s.layers; l++) {
    // the seven linears, wired so that each reads an input of its own width
    const q = linear(g, w, m, x, ...mod('q'), id++);
    const kv = g.op('Add', `/l${l}/kv`, [linear(g, w, m, x, ...mod('k'), id++), linear(g, w, m, x, ...mod('v'), id++)]);
    kvSum = kvSum ? g.op('Add', `/l${l}/kv_sum`, [kvSum, kv]) : kv;
    const h = g.op('Add', `/l${l}/h`, [linear(g, w, m, q, ...mod('o'), id++), x]);
    const gu = g.op('Mul', `/l${l}/gu`, [linear(g, w, m, h, ...mod('gate'), id++), linear(g, w, m, h, ...mod('up'), id++)]);
    x = linear(g, w, m, gu, ...mod('down'), id++);
  }
  const logits = linear(g, w, m, x, s.hidden, s.vocab, id++);
  g.output(logits, DataType.FLOAT, [1, 1, s.vocab]);
  g.output(kvSum!, DataType.FLOAT, [1, 1, s.modules.k[1]]);
  closeSync(fd);
  const path = join(dir, 'model.onnx');
  writeFileSync(path, g.encode('kernel-floor', {}));
  const session = await ort.InferenceSession.create(path, { intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' });
  try {
    const feeds = { [input]: new ort.Tensor('float32', new Float32Array(s.hidden).fill(0.1), [1, 1, s.hidden]) };
    for (let i = 0; i < 4; i++) await session.run(feeds);
    const times: number[] = [];
    for (let i = 0; i < 30; i++) {
      const t = performance.now();
      await session.run(feeds);
      times.push(performance.now() - t);
    }
    return median(times);
  } finally {
    await session.release();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The limit a roofline divides: the faster of the read probe and what the linears alone streamed
 * (bytes per token ÷ their time). The probe (a ReduceSum) can read slower than matrix kernels
 * stream, and a roofline below what a kernel reaches would flatter every ratio.
 */
export function streamingLimit(probed: number, linears: { bytesPerToken: number; floorMs: number }[]): number {
  return Math.max(probed, ...linears.map((l) => l.bytesPerToken / (l.floorMs / 1000)));
}
