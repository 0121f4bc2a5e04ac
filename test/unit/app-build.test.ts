// The Electron app's boundaries, checked without starting Electron (it cannot start on CI): who may
// import what, what the preload exposes, and the renderer's Content-Security-Policy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { API_CHANNELS } from '../../src/shared/api.ts';
import { cleanIpcError, createApi, type Invoke } from '../../src/preload/api.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const src = (...parts: string[]) => join(root, 'src', ...parts);
const read = (path: string) => readFileSync(path, 'utf8');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|mts|js|mjs|svelte)$/.test(name) ? [path] : [];
  });
}

/** Module specifiers of static imports, re-exports, side-effect imports, import() and require(). */
function importsOf(code: string): string[] {
  const re =
    /\b(?:import|export)\s[^'";]*?\bfrom\s*['"]([^'"]+)['"]|(?:^|[\n;])\s*import\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)|\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g;
  return [...code.matchAll(re)].map((m) => m[1] ?? m[2] ?? m[3] ?? m[4]!);
}

const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
const isNodeBuiltin = (spec: string) => spec.startsWith('node:') || builtins.has(spec) || builtins.has(spec.split('/')[0]!);
const isElectron = (spec: string) => spec === 'electron' || spec.startsWith('electron/');
const inside = (path: string, dir: string) => path === dir || path.startsWith(dir + sep);

/** Every import of every source file under dir, with relative ones resolved to absolute paths. */
function importsUnder(dir: string): { file: string; spec: string; target: string | null }[] {
  return sourceFiles(dir).flatMap((file) =>
    importsOf(read(file)).map((spec) => ({
      file: relative(root, file),
      spec,
      target: spec.startsWith('.') ? resolve(dirname(file), spec) : null,
    })),
  );
}

test('the import scanner sees every import form', () => {
  const code = [
    "import type { A } from '../main/x.ts';",
    "import {\n  b,\n  c,\n} from 'node:fs';",
    "import 'path';",
    "export { d } from 'electron';",
    "const e = await import('fs/promises');",
    "const f = require('os');",
  ].join('\n');
  assert.deepEqual(importsOf(code), ['../main/x.ts', 'node:fs', 'path', 'electron', 'fs/promises', 'os']);
  // The word "import" inside strings is not an import.
  const strings = ["const channels = { import: 'models:import', remove: 'models:remove' };", "type C = { type: 'import'; kind: string } | { type: 'x' };"];
  assert.deepEqual(importsOf(strings.join('\n')), []);
});

test('the renderer imports no Node built-in, no electron, and nothing outside src/renderer and src/shared', () => {
  const imports = importsUnder(src('renderer'));
  assert.ok(imports.length > 0, 'found no imports at all: is the scanner looking in the right place?');
  const bad = imports.filter(
    ({ spec, target }) =>
      isNodeBuiltin(spec) || isElectron(spec) || (target !== null && !inside(target, src('renderer')) && !inside(target, src('shared'))),
  );
  assert.deepEqual(bad, []);
});

test('only src/main/app imports electron in src/main', () => {
  const bad = importsUnder(src('main')).filter(({ file, spec }) => isElectron(spec) && !inside(join(root, file), src('main', 'app')));
  assert.deepEqual(bad, []);
});

test('src/shared imports nothing but src/shared', () => {
  const bad = importsUnder(src('shared')).filter(({ target }) => target === null || !inside(target, src('shared')));
  assert.deepEqual(bad, []);
});

// The back end's layers: entry points (app, server, cli) -> services -> (catalog, engine).
// catalog and engine know nothing of each other; what they share (the data folder) is paths.ts,
// what the UI shares with the back end is src/shared.
const layer = (...parts: string[]) => src('main', ...parts);
const LAYERS = { app: layer('app'), server: layer('server'), cli: layer('cli'), services: layer('services'), catalog: layer('catalog'), engine: layer('engine') };
type Layer = keyof typeof LAYERS;
const FORBIDDEN: Record<Layer, Layer[]> = {
  catalog: ['engine', 'services', 'server', 'cli', 'app'],
  engine: ['catalog', 'services', 'server', 'cli', 'app'],
  services: ['server', 'cli', 'app'],
  // entry points reach the catalog only through the services
  app: ['catalog', 'server', 'cli'],
  server: ['catalog', 'cli', 'app'],
  cli: ['catalog', 'app'],
};

for (const [from, banned] of Object.entries(FORBIDDEN) as [Layer, Layer[]][]) {
  test(`src/main/${from} imports nothing from ${banned.join(', ')}`, () => {
    const imports = importsUnder(LAYERS[from]);
    assert.ok(imports.length > 0, `no imports found under ${from}`);
    const bad = imports.filter(({ target }) => target !== null && banned.some((b) => inside(target, LAYERS[b])));
    assert.deepEqual(bad, []);
  });
}

// Entry points run no engine code of their own: they call the services, which call the engine.
// (Types may be named.) Not yet: the developer tools of the CLI, which write random checkpoints with
// the engine's own writer, and `import model`'s look at the library before its import.
const ENGINE_USERS_FOR_NOW = ['src/main/cli/program.ts', 'src/main/cli/commands/dev.ts', 'src/main/cli/commands/import.ts'].map((f) => join(...f.split('/')));

test('entry points (app, server, cli) run engine code only through the services', () => {
  const valueImport = /^\s*import\s+(?!type\b)[^'";]*?\bfrom\s*['"]([^'"]+)['"]|^\s*export\s+(?!type\b)[^'";]*?\bfrom\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/gm;
  const bad = (['app', 'server', 'cli'] as const).flatMap((l) =>
    sourceFiles(LAYERS[l]).flatMap((file) =>
      [...read(file).matchAll(valueImport)]
        .map((m) => m[1] ?? m[2] ?? m[3]!)
        .filter((spec) => spec.startsWith('.') && inside(resolve(dirname(file), spec), LAYERS.engine))
        .map((spec) => `${relative(root, file)}: ${spec}`),
    ),
  );
  assert.deepEqual(bad.filter((b) => !ENGINE_USERS_FOR_NOW.includes(b.split(':')[0]!)), []);
});

test('the shell contract is declared once, in src/shared, and main, preload and renderer use it', () => {
  const users = ['main/app/ipc.ts', 'main/app/menu.ts', 'preload/index.ts', 'renderer/src/lib/shell.ts'];
  for (const file of users) {
    const targets = importsUnder(dirname(src(file)))
      .filter((i) => i.file === relative(root, src(file)))
      .map((i) => i.target);
    assert.ok(targets.includes(src('shared', 'shell.ts')), `${file} does not import src/shared/shell.ts`);
  }
  const declarations = sourceFiles(src()).filter((f) => /export (interface|type) DiffscopeShell\b/.test(read(f)));
  assert.deepEqual(declarations.map((f) => relative(root, f)), [join('src', 'shared', 'shell.ts')]);
});

test('the sandboxed preload requires only electron and bundles its own files', () => {
  const bad = importsUnder(src('preload')).filter(({ spec, target }) => !isElectron(spec) && target === null);
  assert.deepEqual(bad, []);
});

test('the preload exposes exactly the contract, as window.diffscope, each method on its own channel', async () => {
  const index = read(src('preload', 'index.ts'));
  const exposed = [...index.matchAll(/exposeInMainWorld\(\s*['"]([^'"]+)['"]\s*,\s*([^;]+)\);/g)];
  // The contract, and the shell's three extras (file dialog, dropped file's path, menu commands).
  assert.deepEqual(
    exposed.map((m) => [m[1], m[2]!.trim()]),
    [
      ['diffscope', 'createApi(invoke, onEvent)'],
      ['diffscopeShell', 'shell'],
    ],
  );
  assert.equal(index.match(/\bexposeIn\w*World\b/g)?.length, 2, 'nothing else is exposed, ipcRenderer least of all');
  const shellObject = /const shell: DiffscopeShell = \{([\s\S]*?)\n\};/.exec(index)?.[1] ?? '';
  assert.deepEqual([...shellObject.matchAll(/^\s{2}(\w+):/gm)].map((m) => m[1]), ['pickPath', 'pathForFile', 'onMenu', 'printPdf']);

  const calls: unknown[][] = [];
  const invoke = ((channel: string, ...args: unknown[]) => {
    calls.push([channel, ...args]);
    return Promise.resolve(undefined);
  }) as Invoke;
  const onEvent = () => () => {};
  const { onEvent: exposedOnEvent, ...requests } = createApi(invoke, onEvent);
  assert.equal(exposedOnEvent, onEvent, 'events come from the given subscription');
  const api = requests as unknown as Record<string, Record<string, (...args: unknown[]) => Promise<unknown>>>;
  const channels = API_CHANNELS as Record<string, Record<string, string>>;

  assert.deepEqual(Object.keys(api).sort(), Object.keys(channels).sort());
  for (const [domain, methods] of Object.entries(channels)) {
    assert.deepEqual(Object.keys(api[domain]!).sort(), Object.keys(methods).sort(), `methods of ${domain}`);
    for (const [method, channel] of Object.entries(methods)) {
      calls.length = 0;
      await api[domain]![method]!();
      assert.equal(channel, `${domain}:${method}`);
      assert.deepEqual(calls.map((c) => c[0]), [channel], `${domain}.${method} invokes ${channel}`);
    }
  }
});

test('an IPC error reaches the page as its own message', () => {
  const wrapped = new Error("Error invoking remote method 'chat:send': ArgumentError: text: expected a string");
  assert.equal(cleanIpcError(wrapped).message, 'text: expected a string');
  assert.equal(cleanIpcError('plain').message, 'plain');
});

test('the window is created locked down', () => {
  const main = read(src('main', 'app', 'index.ts'));
  for (const setting of ['contextIsolation: true', 'sandbox: true', 'nodeIntegration: false', 'webSecurity: true']) {
    assert.ok(main.includes(setting), `webPreferences has ${setting}`);
  }
  assert.match(main, /will-navigate['"],\s*\(event\)\s*=>\s*event\.preventDefault\(\)/);
  // New windows are always denied; a web or mail link from an answer opens in the system's browser.
  const opener = /setWindowOpenHandler\(\(\{ url \}\) => \{([\s\S]*?)\n  \}\);/.exec(main)?.[1] ?? '';
  assert.match(opener, /^\s*if \(isExternalLink\(url\)\) void shell\.openExternal\(url\);\s*return \{ action: 'deny' \};\s*$/);
  assert.match(main, /const isExternalLink = \(url: string\) => \/\^\(https\?:\|mailto:\)\/i\.test\(url\);/);
  assert.match(main, /setPermissionRequestHandler\([^)]*\)\s*=>\s*callback\(false\)\)/);
});

test('index.html carries a strict Content-Security-Policy and no inline script', () => {
  const html = read(src('renderer', 'index.html'));
  const metas = [...html.matchAll(/<meta\s[^>]*http-equiv=["']Content-Security-Policy["'][^>]*>/gi)];
  assert.equal(metas.length, 1, 'one CSP meta');
  const content = /content=(["'])([\s\S]*?)\1/i.exec(metas[0]![0])?.[2] ?? '';
  const directives = new Map(
    content
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((d) => d[0])
      .map(([name, ...sources]) => [name!, sources]),
  );
  assert.ok(!content.includes("'unsafe-eval'"), 'no unsafe-eval');
  assert.deepEqual(directives.get('default-src'), ["'self'"]);
  const scripts = directives.get('script-src') ?? directives.get('default-src')!;
  assert.deepEqual(scripts, ["'self'"], 'scripts only from the app itself');
  assert.deepEqual(directives.get('object-src'), ["'none'"]);
  for (const [name, sources] of directives) {
    for (const s of sources) assert.ok(!/^(\*|https?:|wss?:)/.test(s) && !s.includes('//'), `${name} allows no remote ${s}`);
  }
  for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
    assert.match(m[1]!, /\bsrc=/, 'every script is a file');
    assert.equal(m[2]!.trim(), '', 'no inline script body');
  }
});
