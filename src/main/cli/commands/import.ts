// `diffscope import model DIR`: Hugging Face checkpoint -> library folder, with progress.
import { importModel, type ImportProgress } from '../../engine/build/import-model.ts';
import type { PrecisionId } from '../../engine/build/precision.ts';
import { parse } from '../args.ts';
import { progressBar } from '../progress.ts';

export async function importCommand(args: string[]): Promise<void> {
  const [kind, ...rest] = args;
  if (kind !== 'model') throw new Error(`import ${kind ?? ''}: expected "import model DIR"`);
  const { values, positionals } = parse(rest, {
    precision: { type: 'string', default: 'fp32' },
    json: { type: 'boolean', default: false },
  });
  if (positionals.length !== 1) throw new Error('usage: diffscope import model DIR [--precision fp32|fp16] [--json]');
  const result = await importWithProgress(positionals[0], values.precision as PrecisionId);
  if (values.json) console.log(JSON.stringify({ id: result.id, dir: result.dir, existed: result.existed, manifest: result.manifest }));
  else console.log(result.id);
}

export async function importWithProgress(dir: string, precision: PrecisionId = 'fp32') {
  const bar = progressBar('importing', { bytes: true });
  const onProgress = (p: ImportProgress) => bar.update(p.done, p.total, p.phase === 'hash' ? 'hashing' : 'converting');
  const result = await importModel(dir, { precision, onProgress });
  bar.done(result.existed ? `already imported as ${result.id}` : `imported ${result.id} (${result.manifest.arch}, ${precision})`);
  return result;
}
