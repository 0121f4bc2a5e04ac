// `diffscope doctor`: what this machine can run. Cores, memory and disk; each execution provider,
// tried for real on a one-node graph, with exactly what is missing and how to get it; and for each
// model the precision it loads at and the memory it needs.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statfsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, freemem, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { Graph } from './build/graph.ts';
import { DataType } from './build/onnx.ts';
import { choosePrecision } from './build/auto-precision.ts';
import { preparedBytes, preparedModel } from './prepared.ts';
import type { Manifest } from './library.ts';
import { CUDA_INSTALL_COMMAND, type Provider } from './session.ts';
import type { DoctorReport, ProviderReport, ModelFit } from '../../shared/types.ts';

/** Where onnxruntime-node keeps its native libraries on this platform. */
export function bindingDir(): string {
  const pkg = dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'));
  return join(pkg, 'bin', 'napi-v6', process.platform, process.arch);
}

/** A one-node graph: whether a provider really creates a session and runs here. */
async function tryProvider(provider: Provider): Promise<string | null> {
  const g = new Graph();
  g.input('x', DataType.FLOAT, [4]);
  g.node('Add', '/add', ['x', 'x'], {}, { outputs: ['y'] });
  g.output('y', DataType.FLOAT, [4]);
  try {
    const session = await ort.InferenceSession.create(g.encode('doctor', {}), { executionProviders: [provider] });
    await session.run({ x: new ort.Tensor('float32', Float32Array.of(1, 2, 3, 4), [4]) });
    await session.release();
    return null;
  } catch (err) {
    // native messages start with a source location and an assertion; keep what they conclude
    return (err as Error).message.split('\n')[0].replace(/^.*? was false\. /, '');
  }
}

/** Shared libraries the dynamic loader knows, by name. */
function loaderLibraries(): string {
  try {
    return execFileSync('ldconfig', ['-p'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return '';
  }
}

/** What the CUDA provider of onnxruntime-node 1.30 needs on Linux, and which pieces are missing. */
function cudaMissing(): string[] {
  const missing: string[] = [];
  const bin = bindingDir();
  const absent = ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so'].filter((lib) => !existsSync(join(bin, lib)));
  if (absent.length) missing.push(`onnxruntime-node's CUDA provider (${absent.join(', ')} in ${bin}; \`${CUDA_INSTALL_COMMAND}\` installs it)`);
  if (!existsSync('/proc/driver/nvidia/version')) missing.push('an NVIDIA driver (/proc/driver/nvidia/version is absent: no NVIDIA GPU or no driver loaded)');
  const libs = loaderLibraries();
  const inPath = (name: string) =>
    libs.includes(name) || (process.env.LD_LIBRARY_PATH ?? '').split(':').some((d) => d && existsSync(join(d, name)));
  if (!inPath('libcudart.so.12')) {
    const other = /libcudart\.so\.(\d+)/.exec(libs);
    missing.push(`the CUDA 12 runtime (libcudart.so.12)${other && other[1] !== '12' ? `; CUDA ${other[1]} is installed, which this onnxruntime build cannot use` : ''}`);
  }
  if (!inPath('libcudnn.so.9')) missing.push('cuDNN 9 (libcudnn.so.9)');
  if (!inPath('libcublasLt.so.12')) missing.push('cuBLAS 12 (libcublasLt.so.12)');
  return missing;
}

export async function providerReports(): Promise<ProviderReport[]> {
  const supported = new Map(ort.listSupportedBackends().map((b) => [b.name, b.bundled]));
  const reports: ProviderReport[] = [{ name: 'cpu', available: true, detail: `onnxruntime ${ort.env.versions?.node ?? ''} CPU provider, ${cpus().length} threads`.replace('  ', ' ') }];

  if (process.platform === 'linux' || process.platform === 'win32') {
    if (!supported.has('cuda')) {
      reports.push({ name: 'cuda', available: false, detail: `onnxruntime-node has no CUDA provider for ${process.platform}-${process.arch}` });
    } else {
      const missing = process.platform === 'linux' ? cudaMissing() : [];
      const error = missing.length === 0 ? await tryProvider('cuda') : null;
      reports.push(
        missing.length > 0
          ? { name: 'cuda', available: false, detail: `missing: ${missing.join('; ')}`, install: CUDA_INSTALL_COMMAND }
          : error
            ? { name: 'cuda', available: false, detail: `the CUDA provider failed to start: ${error}`, install: CUDA_INSTALL_COMMAND }
            : { name: 'cuda', available: true, detail: 'CUDA provider loaded and ran a test graph' },
      );
    }
  }
  if (process.platform === 'win32') {
    const error = await tryProvider('dml');
    reports.push({ name: 'dml', available: !error, detail: error ? `DirectML failed to start: ${error} (it needs a DirectX 12 GPU)` : 'DirectML (bundled) ran a test graph' });
  }
  if (process.platform === 'darwin') {
    const error = await tryProvider('coreml');
    reports.push({ name: 'coreml', available: !error, detail: error ? `CoreML failed to start: ${error}` : 'CoreML (bundled) ran a test graph; nodes it cannot run stay on the CPU' });
  }
  if (supported.has('webgpu')) {
    const error = await tryProvider('webgpu');
    reports.push({
      name: 'webgpu',
      available: !error,
      detail: error
        ? `WebGPU (bundled) found no usable adapter: ${error}. It needs a GPU with Vulkan (Linux), D3D12 (Windows) or Metal (macOS) drivers`
        : 'WebGPU (bundled) ran a test graph; choose it with --provider webgpu (never picked automatically)',
    });
  }
  return reports;
}

/** Memory to load and run a model: its weights, packed copies the kernels make, a 4k-token KV cache, the runtime. */
export function memoryNeeded(m: Manifest): number {
  const kv = 2 * m.shapes.layers * m.shapes.kvHeads * m.shapes.headDim * 4096 * (m.precision === 'fp16' ? 2 : 4);
  const packed = m.precision === 'fp32' ? m.weightBytes : m.precision === 'fp16' ? 0 : m.weightBytes * 0.5;
  return Math.round(m.weightBytes + packed + kv + 512e6);
}

function freeDisk(dir: string): number | null {
  try {
    const s = statfsSync(existsSync(dir) ? dir : dirname(dir));
    return s.bavail * s.bsize;
  } catch {
    return null;
  }
}

function cpuModel(): string {
  const model = cpus()[0]?.model ?? 'unknown';
  if (process.platform !== 'linux') return model;
  try {
    const flags = /^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '';
    const simd = ['avx2', 'avx512f', 'avx512_vnni', 'amx_int8'].filter((f) => flags.includes(` ${f}`));
    return simd.length ? `${model} (${simd.join(', ')})` : model;
  } catch {
    return model;
  }
}

export async function doctor(models: { id: string; name: string; manifest: Manifest; libraryDir?: string }[], dataDir: string): Promise<DoctorReport> {
  const providers = await providerReports();
  const gpu = providers.find((p) => p.available && p.name !== 'cpu' && p.name !== 'webgpu')?.name ?? null;
  const free = freemem();
  const fits: ModelFit[] = models.map(({ id, name, manifest, libraryDir }) => {
    const need = memoryNeeded(manifest);
    const auto = choosePrecision(manifest.config, { gpu, freeBytes: free });
    return {
      id,
      name,
      precision: manifest.precision,
      weightBytes: manifest.weightBytes,
      memoryNeededBytes: need,
      fitsNow: need <= free,
      autoPrecision: auto.precision,
      autoReason: auto.reason,
      preparedBytes: libraryDir && preparedModel(libraryDir) ? preparedBytes(libraryDir) : 0,
    };
  });
  return {
    machine: {
      platform: `${process.platform}-${process.arch}`,
      cpu: cpuModel(),
      cores: cpus().length,
      totalMemoryBytes: totalmem(),
      freeMemoryBytes: free,
      dataDir,
      freeDiskBytes: freeDisk(dataDir),
    },
    providers,
    models: fits,
  };
}
