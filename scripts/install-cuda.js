#!/usr/bin/env node
// `npm run install:cuda`: installs onnxruntime-node's CUDA 12 execution provider (Linux x64 and
// Windows x64), which is too large for the npm package and so is not installed by default. It runs
// onnxruntime-node's own installer with its CUDA option; that installer downloads the provider's
// libraries from NuGet (Microsoft.ML.OnnxRuntime.Gpu) next to the binding. The provider also
// needs the NVIDIA driver, CUDA 12 and cuDNN 9 on the library path: `diffscope doctor` checks them.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const supported = { linux: 'x64', win32: 'x64' };
if (supported[process.platform] !== process.arch) {
  console.error(`onnxruntime-node has no CUDA provider for ${process.platform}-${process.arch}.`);
  console.error(process.platform === 'darwin' ? 'On macOS, CoreML ships with onnxruntime-node: choose it in Settings or with --provider coreml.' : '');
  process.exit(1);
}
const pkg = dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'));
const installer = join(pkg, 'script', 'install.js');
console.error(`running ${installer} with the CUDA 12 option...`);
const run = spawnSync(process.execPath, [installer], {
  stdio: 'inherit',
  env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'cuda12' }, // the installer reads this before its flags
});
if (run.status !== 0) {
  console.error('\nthe CUDA provider was not installed (see the installer output above); `npx diffscope doctor` says what is missing.');
  process.exit(run.status ?? 1);
}
console.error('\ninstalled. `npx diffscope doctor` now checks the driver, CUDA 12 and cuDNN 9 it needs.');
