// The built Electron main process (out/main/index.js) run under Node with a stand-in `electron`
// module (helpers/electron-stub): Electron cannot start on these machines, but everything main
// does between Electron and the back end can be checked — the locked-down window, every channel
// registered and answered through the real back end, arguments checked, calls from other pages
// refused, events forwarded to the page, navigation and new windows blocked, permissions denied.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { API_CHANNELS } from '../../src/shared/api.ts';
import { tmpDir } from '../helpers/tmp.ts';

const root = join(import.meta.dirname, '..', '..');
const main = join(root, 'out', 'main', 'index.js');

interface Outcome {
  result?: unknown;
  error?: string;
}
interface Report {
  windows: { webPreferences: Record<string, unknown> }[];
  loaded: string;
  menu: { label: string; items: string[] }[];
  checks: Record<string, unknown> & {
    channels: string[];
    info: Outcome;
    models: Outcome;
    badArgument: Outcome;
    untrusted: Outcome;
    badKind: Outcome;
    pickCancelled: Outcome;
    badPdf: Outcome;
    judgeKey: Outcome;
    created?: Outcome;
    sent?: Outcome;
    reply: { status: string; text: string; provider: string | null } | null;
    events: string[];
    navigationPrevented: number;
    windowOpen: string[];
    openedExternally: string[];
    permissionGranted: boolean | null;
    permissionCheck: boolean;
  };
}

test('the Electron main process, run with a stand-in electron module', { skip: existsSync(main) ? false : 'no build: run `npm run build`', timeout: 180_000 }, () => {
  const home = tmpDir('electron-main');
  const run = spawnSync(process.execPath, ['--import', join(import.meta.dirname, 'helpers', 'electron-stub', 'register.mjs'), main], {
    cwd: root,
    env: { ...process.env, DIFFSCOPE_HOME: home, STUB_USER_DATA: home, ELECTRON_RENDERER_URL: '' },
    encoding: 'utf8',
    timeout: 170_000,
  });
  const line = run.stdout.split('\n').find((l) => l.startsWith('STUB-REPORT '));
  assert.ok(line, `main printed no report (exit ${run.status})\n${run.stderr}`);
  const report = JSON.parse(line.slice('STUB-REPORT '.length)) as Report;
  const c = report.checks;

  assert.equal(report.windows.length, 1);
  assert.deepEqual(
    Object.fromEntries(['contextIsolation', 'sandbox', 'nodeIntegration', 'webSecurity'].map((k) => [k, report.windows[0]!.webPreferences[k]])),
    { contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true },
  );
  assert.match(String(report.windows[0]!.webPreferences['preload']), /out\/preload\/index\.cjs$/);
  assert.match(report.loaded, /out\/renderer\/index\.html$/);

  const expected = Object.values(API_CHANNELS).flatMap((m) => Object.values(m) as string[]);
  assert.deepEqual(c.channels, [...expected, 'shell:pick-path', 'shell:print-pdf'].sort(), 'every channel of the contract, the file dialog and PDF printing');
  assert.equal((c.info.result as { shell: string }).shell, 'electron', JSON.stringify(c.info));
  assert.ok(((c.models.result as { demo: boolean }[]) ?? []).some((m) => m.demo), 'the first run imported the demo');
  assert.ok(c.badArgument.error, 'a bad argument is refused');
  assert.match(c.untrusted.error ?? '', /refused a call from https:\/\/evil\.example\//);
  assert.match(c.badKind.error ?? '', /expected one of model, adapter, experiment/);
  assert.deepEqual(c.pickCancelled, { result: null });
  assert.match(c.badPdf.error ?? '', /expected a conversation id/);
  // API keys go to the OS keychain (safeStorage), never into the catalog as plain text
  assert.deepEqual(c.judgeKey.result, { judge: null, hasKey: true, keyStorage: 'keychain' });
  assert.ok(c.created?.result, JSON.stringify(c.created));
  assert.ok(c.sent?.result, JSON.stringify(c.sent));
  assert.equal(c.reply?.status, 'complete', `the engine answered from the bundled main (${JSON.stringify(c.reply)})`);
  for (const type of ['catalog', 'token', 'message']) assert.ok(c.events.includes(type), `${type} events reach the page (${c.events.join(', ')})`);

  assert.equal(c.navigationPrevented, 2, 'navigation and webviews are blocked');
  assert.deepEqual(c.windowOpen, ['deny', 'deny', 'deny'], 'no new window, ever');
  assert.deepEqual(c.openedExternally, ['https://example.org/'], 'only a web link opens, in the system browser');
  assert.equal(c.permissionGranted, false);
  assert.equal(c.permissionCheck, false);
  assert.deepEqual(
    report.menu.map((m) => m.label),
    ['File', 'editMenu', 'View', 'windowMenu'],
  );
  assert.ok(report.menu[0]!.items.includes('Import Diff or DIT Adapter…'));
});
