// The files of a checkpoint folder that an import reads, hashes and copies. Each must be a
// regular file inside the folder: a symlink may only point inside it, or, for a Hugging Face hub
// cache snapshot (models--ORG--NAME/snapshots/<commit>/), into that repository's blobs.
import { existsSync, lstatSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, isAbsolute } from 'node:path';

/** Files copied verbatim next to the graph (tokenizer, templates, configs). */
export const SIDE_FILES = [
  'config.json',
  'generation_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'chat_template.jinja',
  'chat_template.json',
];

const inside = (root: string, path: string) => {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
};

/** Where the folder's symlinks may lead. */
function allowedRoots(dir: string): string[] {
  const real = realpathSync(dir);
  const roots = [real];
  const snapshots = dirname(dir);
  if (basename(snapshots) === 'snapshots' && basename(dirname(snapshots)).startsWith('models--')) roots.push(realpathSync(dirname(snapshots)));
  return roots;
}

/** Throws unless `dir/name` is a regular file that stays inside the folder (or its hub repository). */
export function checkSourceFile(dir: string, name: string, roots = allowedRoots(dir)): void {
  const path = join(dir, name);
  const link = lstatSync(path);
  if (link.isSymbolicLink()) {
    const target = realpathSync(path);
    if (!roots.some((r) => inside(r, target))) throw new Error(`${path} is a symlink to ${target}, outside the model folder: refused`);
  }
  if (!statSync(path).isFile()) throw new Error(`${path} is not a regular file`);
}

/**
 * The files an import depends on, sorted: config.json, the weights and their index, and every
 * side file that is copied (a changed tokenizer or chat template is a different import).
 */
export function sourceFiles(dir: string): string[] {
  const roots = allowedRoots(dir);
  const names = readdirSync(dir)
    .filter((n) => SIDE_FILES.includes(n) || n.endsWith('.safetensors') || n === 'model.safetensors.index.json')
    .filter((n) => existsSync(join(dir, n)) || lstatSync(join(dir, n)).isSymbolicLink())
    .sort();
  for (const n of names) checkSourceFile(dir, n, roots);
  return names;
}
