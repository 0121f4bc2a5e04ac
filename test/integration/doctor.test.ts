// `diffscope doctor --json` says what this machine has, truthfully: the CPU provider runs; the
// CUDA provider is absent here (no NVIDIA GPU, no provider libraries) and the report says what is
// missing and the command that installs it; WebGPU is reported as it is. A provider chosen by
// name that cannot start is an error saying why, not a silent fallback to the CPU.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { ModelSession } from '../../src/main/engine/session.ts';
import type { DoctorReport } from '../../src/shared/api.ts';
import { runCli } from '../helpers/cli.ts';
import { tinyModel } from '../helpers/models.ts';
import { tmpDir } from '../helpers/tmp.ts';

const noNvidia = !existsSync('/proc/driver/nvidia/version');

test('doctor --json reports the machine, each provider and what is missing', async () => {
  const run = await runCli(['doctor', '--json'], tmpDir('doctor-home'));
  assert.equal(run.code, 0, run.stderr);
  const report = JSON.parse(run.stdout) as DoctorReport;
  assert.equal(report.machine.cores, cpus().length);
  assert.ok(report.machine.totalMemoryBytes > 0 && report.machine.freeMemoryBytes > 0);
  assert.ok(report.machine.freeDiskBytes === null || report.machine.freeDiskBytes > 0);
  const by = new Map(report.providers.map((p) => [p.name, p]));
  assert.equal(by.get('cpu')?.available, true);
  if (process.platform === 'linux' && noNvidia) {
    const cuda = by.get('cuda')!;
    assert.equal(cuda.available, false);
    assert.match(cuda.detail, /NVIDIA driver/);
    assert.match(cuda.detail, /libonnxruntime_providers_cuda\.so/);
    assert.equal(cuda.install, 'npm run install:cuda');
  }
  const webgpu = by.get('webgpu');
  assert.ok(webgpu, 'webgpu ships with onnxruntime-node: it is reported');
  assert.ok(webgpu.detail.length > 0);
  assert.deepEqual(report.models, []); // a new data folder
});

test('doctor lists each model with the precision it loads at and the memory it needs', async () => {
  const model = await tinyModel('qwen3');
  const home = tmpDir('doctor-models');
  const imported = await runCli(['import', 'model', model.hfDir, '--precision', 'int4', '--json'], home);
  assert.equal(imported.code, 0, imported.stderr);
  assert.match(imported.stderr, /^precision int4: chosen by the user \(not auto\)$/m);
  const report = JSON.parse((await runCli(['doctor', '--json'], home)).stdout) as DoctorReport;
  assert.equal(report.models.length, 1);
  const [fit] = report.models;
  assert.equal(fit.precision, 'int4');
  assert.ok(fit.memoryNeededBytes > fit.weightBytes);
  assert.equal(fit.autoPrecision, 'fp32'); // a tiny model fits anywhere at the most precise
  assert.match(fit.autoReason, /^fp32: .* of weights fit in .* free memory/);
  assert.equal(fit.preparedBytes, 0, 'no load yet: nothing packed for this CPU');
  const text = (await runCli(['doctor'], home)).stdout;
  assert.match(text, /execution providers/);
  assert.match(text, new RegExp(`${fit.id}  int4`));
  assert.match(text, /not yet packed for this CPU/);
  // the first ask packs the weights for this CPU (and says so), and doctor then reports the copy
  const first = await runCli(['ask', '--model', fit.id, '--max-tokens', '2', 'Hi'], home);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, /first load on this machine also packs the weights for this CPU/);
  const after = JSON.parse((await runCli(['doctor', '--json'], home)).stdout) as DoctorReport;
  assert.ok(after.models[0].preparedBytes > fit.weightBytes / 2, `${after.models[0].preparedBytes} bytes packed`);
  const again = await runCli(['ask', '--model', fit.id, '--max-tokens', '2', 'Hi'], home);
  assert.doesNotMatch(again.stderr, /packs the weights/);
  assert.match(again.stderr, /^loaded in \d+\.\d s on cpu$/m);
});

test('import --precision auto prints what it chose and why', async () => {
  const model = await tinyModel('llama');
  const run = await runCli(['import', 'model', model.hfDir], tmpDir('doctor-auto'));
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stderr, /^precision fp32: .* of weights fit in .* \(60% of .* free memory\)$/m);
});

test('a provider chosen by name that cannot start is an error saying why, not the CPU', { skip: !(process.platform === 'linux' && noNvidia) && 'needs a machine without CUDA' }, async () => {
  const model = await tinyModel('qwen3');
  await assert.rejects(ModelSession.open(model.libDir, { provider: 'cuda' }), (err: Error) => {
    assert.match(err.message, /^the cuda provider cannot be used: its libraries are not installed .*npm run install:cuda/);
    return true;
  });
});
