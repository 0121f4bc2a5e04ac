// The CLI shipped compiled: `npm run build` writes out/main/cli.js beside the engine's worker
// entries, bin/diffscope.js runs it, and nothing at run time needs tsx (a dev dependency that
// compiles the TypeScript sources at each start, which took 4-5 s). Start-up time itself is a
// figure to measure by hand (`time diffscope --help`), not a test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { tinyModel } from '../helpers/models.ts';
import { tmpDir } from '../helpers/tmp.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'out', 'main', 'cli.js');
const BIN = join(ROOT, 'bin', 'diffscope.js');

function run(file: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [file, ...args], { env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr });
    });
  });
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => (statSync(join(dir, name)).isDirectory() ? files(join(dir, name)) : [join(dir, name)]));
}

test('tsx is a development dependency, and only the from-source entries of workers load it', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
  assert.equal(pkg.dependencies.tsx, undefined);
  assert.ok(pkg.devDependencies.tsx);
  const users = files(join(ROOT, 'src'))
    .filter((f) => /from ['"]tsx|import\(['"]tsx/.test(readFileSync(f, 'utf8')))
    .map((f) => f.slice(ROOT.length + 1));
  assert.ok(users.every((f) => f.endsWith('-source.mjs')), `tsx loaded by ${users.join(', ')}`);
});

const skip = existsSync(CLI) ? false : 'no build: run `npm run build`';

test('the built CLI answers --help and models, and asks a model through its compiled engine worker', { skip, timeout: 180_000 }, async () => {
  const home = tmpDir('cli-built');
  const help = await run(CLI, ['--help'], { DIFFSCOPE_HOME: home });
  assert.equal(help.code, 0, help.stderr);
  for (const command of ['import', 'models', 'ask', 'eval', 'serve']) assert.match(help.stdout, new RegExp(`\\n  ${command}\\b`));
  const viaBin = await run(BIN, ['ask', '--help'], { DIFFSCOPE_HOME: home, DIFFSCOPE_CLI: 'built' });
  assert.equal(viaBin.code, 0, viaBin.stderr);
  assert.match(viaBin.stdout, /--no-log/);

  const models = await run(CLI, ['models', '--json'], { DIFFSCOPE_HOME: home });
  assert.equal(models.code, 0, models.stderr);
  assert.deepEqual(JSON.parse(models.stdout), []);

  // the engine worker, compiled beside cli.js, loads the model and answers
  const model = await tinyModel('qwen3');
  const ask = await run(CLI, ['ask', '--model', model.libDir, '--provider', 'cpu', '--max-tokens', '3', '--json', 'hello'], { DIFFSCOPE_HOME: home });
  assert.equal(ask.code, 0, ask.stderr);
  const out = JSON.parse(ask.stdout) as { tokens: number[]; conversationId: number };
  assert.equal(out.tokens.length, 3);
  assert.ok(out.conversationId > 0, 'logged in the catalog');
});
