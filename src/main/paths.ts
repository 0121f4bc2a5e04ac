// Where the project's own files are (package.json, resources/, out/renderer), found by walking up
// from this module: the same answer from the TypeScript sources and from a bundle in out/main.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'diffscope') return dir;
    if (dirname(dir) === dir) return from; // not found (a packaged app passes its paths explicitly)
  }
}

export const PROJECT_ROOT = findRoot(import.meta.dirname);

export const projectVersion = (): string => {
  const pkg = join(PROJECT_ROOT, 'package.json');
  return existsSync(pkg) ? (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version : '0.0.0';
};
