// Memory read bandwidth, measured with onnxruntime itself: ReduceSum over a 1 GiB float32 tensor
// on the same threads the engine uses. This is the ceiling a memory-bound decode step can reach.
import { mkdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { Graph } from '../src/main/engine/build/graph.ts';
import { DataType } from '../src/main/engine/build/onnx.ts';
import { WeightFile } from '../src/main/engine/build/weight-file.ts';
import { writeFileSync } from 'node:fs';

const ELEMENTS = 256 * 1024 * 1024; // 1 GiB of float32

function writeModel(dir: string): string {
  const path = join(dir, 'bandwidth.onnx');
  if (existsSync(path)) return path;
  mkdirSync(dir, { recursive: true });
  const g = new Graph();
  const file = new WeightFile(join(dir, 'bandwidth.onnx.data'));
  const chunk = new Float32Array(ELEMENTS).fill(1 / 1024);
  file.addFloat32('big', [16, ELEMENTS / 16], chunk);
  file.close();
  g.initializers.push(...file.tensors);
  g.input('scale', DataType.FLOAT, [1]);
  const summed = g.op('ReduceSum', '/sum', ['big', g.int64s([1])], { keepdims: 0 }); // [16]
  g.node('Mul', '/out', [summed, 'scale'], {}, { outputs: ['out'] });
  g.output('out', DataType.FLOAT, [16]);
  writeFileSync(path, g.encode('bandwidth', {}));
  return path;
}

/** Bytes per second read by the best of `runs` passes. */
export async function measureReadBandwidth(dir: string, threads: number, runs = 7): Promise<number> {
  const session = await ort.InferenceSession.create(writeModel(dir), { intraOpNumThreads: threads, graphOptimizationLevel: 'disabled' });
  const feeds = { scale: new ort.Tensor('float32', Float32Array.of(1), [1]) };
  await session.run(feeds);
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await session.run(feeds);
    best = Math.min(best, performance.now() - t);
  }
  await session.release();
  return (ELEMENTS * 4) / (best / 1000);
}
