// `diffscope dev make-model`: random-weight checkpoints of the real architectures, for tests and benchmarks.
import { makeModel } from '../../engine/dev/make-model.ts';
import { int, parse } from '../args.ts';
import { progressBar } from '../progress.ts';

export async function devCommand(args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  if (sub !== 'make-model') throw new Error('usage: diffscope dev make-model --arch qwen3|llama|gemma3 --preset tiny|0.6b --out DIR [--seed N]');
  const { values } = parse(rest, {
    arch: { type: 'string' },
    preset: { type: 'string', default: 'tiny' },
    out: { type: 'string' },
    seed: { type: 'string' },
  });
  const arch = values.arch;
  if (arch !== 'qwen3' && arch !== 'llama' && arch !== 'gemma3') throw new Error(`--arch ${arch ?? '(missing)'}: expected qwen3, llama or gemma3`);
  const preset = values.preset;
  if (preset !== 'tiny' && preset !== '0.6b') throw new Error(`--preset ${preset}: expected tiny or 0.6b`);
  if (!values.out) throw new Error('--out DIR is required');
  const bar = progressBar(`writing ${arch} ${preset}`);
  await makeModel({ arch, preset, out: values.out, seed: int(values.seed, '--seed', 0), onProgress: (d, t) => bar.update(d, t) });
  bar.done(`wrote ${values.out}`);
}
