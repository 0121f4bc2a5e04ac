// The Diffscope under test: the REAL `diffscope serve` (default, with a fresh DIFFSCOPE_HOME, so
// the first run imports the demo), or the FAKE back end of fake-server.ts when
// DIFFSCOPE_E2E_BACKEND=fake (renderer development without models).
//
// The demo is resources/demo once it holds its hidden-topic experiment (diffs + DIT adapter).
// Until then the first run gets a stand-in with the same layout, so that the diff and DIT paths
// run against the real back end too: a random-weight Qwen3 (`dev make-model`) and the paper-format
// experiment of test/fixtures (real torch.save files, labels with quotes and accents).
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpDir } from '../../helpers/tmp.ts';
import { startFakeServer } from './fake-server.ts';

const root = join(import.meta.dirname, '..', '..', '..');

export interface Diffscope {
  kind: 'real' | 'fake';
  /** The printed URL, with ?token= */
  url: string;
  origin: string;
  /** The real back end's data folder (DIFFSCOPE_HOME), for a CLI command beside it. */
  home?: string;
  close(): Promise<void>;
}

export function backendKind(): 'real' | 'fake' {
  const asked = process.env.DIFFSCOPE_E2E_BACKEND;
  if (asked === 'real' || asked === 'fake') return asked;
  return existsSync(join(root, 'src', 'main', 'cli', 'commands', 'serve.ts')) ? 'real' : 'fake';
}

export function rendererBuilt(): boolean {
  return existsSync(join(root, 'out', 'renderer', 'index.html'));
}

export async function startDiffscope(kind = backendKind()): Promise<Diffscope> {
  if (!rendererBuilt()) throw new Error('no renderer build in out/renderer: run `npm run build` first');
  if (kind === 'fake') {
    const fake = await startFakeServer(0);
    return { kind, ...fake };
  }
  return startReal();
}

/** Which demo the first run imports: the embedded one when it is complete, else a test stand-in. */
export function demoKind(): 'embedded' | 'fixture' {
  return existsSync(join(root, 'resources', 'demo', 'hidden-topic', 'index.csv')) ? 'embedded' : 'fixture';
}

function fixtureDemo(): string {
  const dir = tmpDir('e2e-demo');
  const made = spawnSync(process.execPath, [join(root, 'bin', 'diffscope.js'), 'dev', 'make-model', '--arch', 'qwen3', '--preset', 'tiny', '--seed', '7', '--out', join(dir, 'base-model')], {
    encoding: 'utf8',
  });
  if (made.status !== 0) throw new Error(`dev make-model failed: ${made.stderr}`);
  cpSync(join(root, 'test', 'fixtures', 'pt', 'hidden-topic', 'qwen3-tiny'), join(dir, 'hidden-topic'), { recursive: true });
  return dir;
}

async function startReal(): Promise<Diffscope> {
  const home = tmpDir('e2e-home');
  const demo = demoKind() === 'embedded' ? {} : { DIFFSCOPE_DEMO_DIR: fixtureDemo() };
  const child = spawn(process.execPath, [join(root, 'bin', 'diffscope.js'), 'serve', '--port', '0'], {
    cwd: root,
    env: { ...process.env, DIFFSCOPE_HOME: home, ...demo },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`diffscope serve printed no URL in 120 s\n${stderr}`)), 120_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /Diffscope is running at (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`diffscope serve exited (${code}) before printing its URL\n${stderr}`));
    });
  });
  return {
    kind: 'real',
    url,
    origin: new URL(url).origin,
    home,
    close: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    },
  };
}
