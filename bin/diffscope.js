#!/usr/bin/env node
// Entry of the `diffscope` command. A built checkout (`npm run build`) runs the compiled CLI,
// out/main/cli.js, which starts at once; without a build, or when the sources have changed since
// it, the TypeScript sources run through tsx, a development dependency (about 4 s to start).
// DIFFSCOPE_CLI=built or =source forces one or the other.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const built = join(root, 'out', 'main', 'cli.js');
const source = join(root, 'src', 'main', 'cli', 'index.ts');

/** Whether any file under dir changed after `time` (ms). */
function changedSince(dir, time) {
  if (!existsSync(dir)) return false;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() ? changedSince(path, time) : statSync(path).mtimeMs > time) return true;
  }
  return false;
}

function haveTsx() {
  try {
    import.meta.resolve('tsx/esm/api');
    return true;
  } catch {
    return false;
  }
}

function choose() {
  const forced = process.env.DIFFSCOPE_CLI;
  if (forced === 'built' || forced === 'source') return forced;
  if (!existsSync(built)) return 'source';
  if (!existsSync(source) || !haveTsx()) return 'built';
  const buildTime = statSync(built).mtimeMs;
  const stale = ['main', 'shared'].some((d) => changedSince(join(root, 'src', d), buildTime));
  return stale ? 'source' : 'built';
}

if (choose() === 'built') {
  if (!existsSync(built)) throw new Error(`${built} is missing: run \`npm run build\``);
  await import(pathToFileURL(built).href);
} else {
  if (!haveTsx()) {
    process.stderr.write('diffscope: no build of the command (run `npm run build`) and no tsx to run its sources (a development dependency)\n');
    process.exit(1);
  }
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(source).href);
}
