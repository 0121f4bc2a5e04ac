#!/usr/bin/env node
// `npm start`: builds the UI if needed, then starts Diffscope in browser mode on the embedded demo
// (the first start imports resources/demo into the data folder) and opens it in a browser.
import { existsSync } from 'node:fs';
import { spawnSync, spawn } from 'node:child_process';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
if (!existsSync(join(root, 'out', 'renderer', 'index.html'))) {
  const build = spawnSync(process.execPath, [join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}
const args = ['serve', '--open', ...process.argv.slice(2)];
const child = spawn(process.execPath, [join(root, 'bin', 'diffscope.js'), ...args], { cwd: root, stdio: 'inherit' });
child.on('exit', (code) => process.exit(code ?? 0));
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
