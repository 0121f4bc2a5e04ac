// One onnxruntime session over an imported model folder, on the best execution provider that
// loads, falling back to cpu; reports which one is in use and why others were skipped.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import { readManifest, type Manifest } from './library.ts';
import { openAndPrepare, preparedModel, removePrepared } from './prepared.ts';

/** The command that installs onnxruntime-node's CUDA 12 provider libraries (package.json). */
export const CUDA_INSTALL_COMMAND = 'npm run install:cuda';

export type Provider = 'cpu' | 'cuda' | 'dml' | 'coreml' | 'webgpu';
export type ProviderChoice = 'auto' | Provider;

export interface SessionOptions {
  provider?: ProviderChoice;
  threads?: number; // intra-op threads; default: all cores
  /** cpu: open from (and otherwise make) the copy prepared for this machine (prepared.ts); default true */
  prepare?: boolean;
}

/** How the weights reached the session: packed at load, packed and saved for next time, or mapped from that copy. */
export type Preparation = 'packed' | 'saved' | 'mapped';

/**
 * auto: the platform's GPU provider first, then cpu. A provider chosen by name is the only one
 * tried: if it cannot start, the user hears why instead of silently getting the CPU.
 */
export function providerOrder(choice: ProviderChoice = 'auto', platform = process.platform): Provider[] {
  if (choice !== 'auto') return [choice];
  const gpu: Record<string, Provider[]> = { linux: ['cuda'], win32: ['dml'], darwin: ['coreml'] };
  return [...(gpu[platform] ?? []), 'cpu'];
}

/**
 * Whether opening `dir` with these options may pack the weights for this CPU and save them (see
 * `open`): a choice that can end on the CPU, preparing not turned off, and no copy for this machine.
 */
export function packsOnOpen(dir: string, opts: SessionOptions = {}): boolean {
  return providerOrder(opts.provider).includes('cpu') && opts.prepare !== false && preparedModel(dir) === null;
}

/**
 * Why a provider cannot be tried here, or null. Providers that onnxruntime-node does not bundle
 * (cuda) need their libraries next to the binding; trying without them only prints native errors.
 */
function unavailable(provider: Provider): string | null {
  const backend = ort.listSupportedBackends().find((b) => b.name === provider);
  if (!backend) return `not supported by onnxruntime-node on ${process.platform}-${process.arch}`;
  if (backend.bundled) return null;
  const binding = dirname(createRequire(import.meta.url).resolve('onnxruntime-node'));
  const lib = join(binding, '..', 'bin', 'napi-v6', process.platform, process.arch, `libonnxruntime_providers_${provider}.so`);
  return existsSync(lib) ? null : `its libraries are not installed (${lib} is missing)`;
}

export class ModelSession {
  private constructor(
    readonly dir: string,
    readonly manifest: Manifest,
    readonly session: ort.InferenceSession,
    readonly provider: Provider,
    readonly skipped: { provider: Provider; reason: string }[],
    readonly preparation: Preparation,
  ) {}

  static async open(dir: string, opts: SessionOptions = {}): Promise<ModelSession> {
    const manifest = readManifest(dir);
    const skipped: { provider: Provider; reason: string }[] = [];
    for (const provider of providerOrder(opts.provider)) {
      const reason = provider === 'cpu' ? null : unavailable(provider);
      if (reason && opts.provider === provider) throw new Error(`the ${provider} provider cannot be used: ${reason}${provider === 'cuda' ? `; install it with \`${CUDA_INSTALL_COMMAND}\`` : ''} (\`diffscope doctor\` says what this machine has)`);
      if (reason) {
        skipped.push({ provider, reason });
        continue;
      }
      try {
        const options: ort.InferenceSession.SessionOptions = {
          executionProviders: [provider],
          graphOptimizationLevel: 'all',
          intraOpNumThreads: opts.threads ?? availableParallelism(),
          interOpNumThreads: 1,
          executionMode: 'sequential',
          enableCpuMemArena: true,
          enableMemPattern: true,
        };
        const prepare = provider === 'cpu' && opts.prepare !== false;
        const prepared = prepare ? preparedModel(dir) : null;
        if (prepared) {
          try {
            // already optimized for this machine when it was saved: optimizing again only costs time
            const session = await ort.InferenceSession.create(prepared, { ...options, graphOptimizationLevel: 'disabled' });
            return new ModelSession(dir, manifest, session, provider, skipped, 'mapped');
          } catch {
            removePrepared(dir); // damaged: made again below from the imported files
          }
        }
        if (!prepare) return new ModelSession(dir, manifest, await ort.InferenceSession.create(join(dir, 'model.onnx'), options), provider, skipped, 'packed');
        const made = await openAndPrepare(dir, options);
        return new ModelSession(dir, manifest, made.session, provider, skipped, made.saved ? 'saved' : 'packed');
      } catch (err) {
        if (provider === 'cpu') throw new Error(`${join(dir, 'model.onnx')}: cannot be loaded: ${(err as Error).message.split('\n')[0]}`);
        if (opts.provider === provider) throw new Error(`the ${provider} provider failed to start: ${(err as Error).message.split('\n')[0]} (\`diffscope doctor\` says what this machine has)`);
        skipped.push({ provider, reason: (err as Error).message.split('\n')[0] });
      }
    }
    throw new Error('unreachable: auto tries cpu last, and a chosen provider throws above');
  }

  /** `fetches`: output names, or names mapped to a pre-allocated tensor (onnxruntime-node copies the result into it) or null. */
  run(feeds: Record<string, ort.Tensor>, fetches?: string[] | Record<string, ort.Tensor | null>): Promise<Record<string, ort.Tensor>> {
    return fetches ? this.session.run(feeds, fetches as ort.InferenceSession.FetchesType) : this.session.run(feeds);
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
