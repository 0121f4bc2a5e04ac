// `diffscope dev make-model`: random-weight checkpoints of the real architectures, for tests and benchmarks.
import { makeModel, type MakeModelPreset } from '../../engine/dev/make-model.ts';
import type { ArchKey } from '../../engine/hf/config.ts';
import { int } from '../args.ts';
import { progressBar } from '../progress.ts';

/** --arch and --preset are checked against their choices by the option definitions (program.ts). */
export async function makeModelCommand(values: { arch?: ArchKey; preset: MakeModelPreset; out: string; seed?: string }): Promise<void> {
  const { arch, preset } = values;
  const bar = progressBar(`writing ${arch ? `${arch} ` : ''}${preset}`, { bytes: true });
  const made = makeModel({ arch, preset, out: values.out, seed: int(values.seed, '--seed', 0), onProgress: (d, t) => bar.update(d, t) });
  bar.done(`wrote ${values.out} (${made.shards} shard${made.shards === 1 ? '' : 's'}, ${(made.bytes / 1e9).toFixed(2)} GB)`);
}
