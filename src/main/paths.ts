// Where the project's own files are (package.json, resources/, out/renderer), found by walking up
// from this module: the same answer from the TypeScript sources and from a bundle in out/main;
// and where the user's data lives (the library and the catalog), which engine and catalog share.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

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

/** DIFFSCOPE_HOME, or the platform's application-data folder. */
export function dataHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DIFFSCOPE_HOME) return resolve(env.DIFFSCOPE_HOME);
  if (process.platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'Diffscope');
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'Diffscope');
  return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'Diffscope');
}
