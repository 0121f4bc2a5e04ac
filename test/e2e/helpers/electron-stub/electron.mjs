// A stand-in for the `electron` module, enough to run the built main process (out/main/index.js)
// under plain Node: it records what main registers (IPC handlers, window options, session
// handlers, menu, web-contents hooks), then, once the window loads, exercises them as Electron
// would and prints one JSON report line on stdout. Used by test/e2e/electron-main.test.ts.
import { EventEmitter } from 'node:events';

const appEvents = new EventEmitter();
const handlers = new Map();
const sent = [];
const opened = [];
const report = { windows: [], menu: null, checks: {} };
let permissionRequest = null;
let permissionCheck = null;

export const app = {
  isPackaged: false,
  getVersion: () => '0.0.0-stub',
  getPath: (name) => process.env.STUB_USER_DATA ?? `/tmp/stub-${name}`,
  getAppPath: () => process.cwd(),
  whenReady: () => Promise.resolve(),
  on: (name, fn) => (appEvents.on(name, fn), app),
  once: (name, fn) => (appEvents.once(name, fn), app),
  quit: () => {},
};

export const ipcMain = {
  handle: (channel, fn) => {
    if (handlers.has(channel)) throw new Error(`second handler for ${channel}`);
    handlers.set(channel, fn);
  },
  removeHandler: (channel) => handlers.delete(channel),
};

const webContents = { send: (channel, value) => sent.push([channel, value]) };

export class BrowserWindow {
  static #all = [];
  static getAllWindows = () => BrowserWindow.#all;
  static getFocusedWindow = () => BrowserWindow.#all[0] ?? null;
  static fromWebContents = () => BrowserWindow.#all[0] ?? null;
  webContents = webContents;
  constructor(options) {
    report.windows.push(options);
    BrowserWindow.#all.push(this);
  }
  isDestroyed = () => false;
  loadURL = async () => {};
  loadFile = async (file) => {
    report.loaded = file;
    setTimeout(() => void exercise(file), 0);
  };
}

export const session = {
  defaultSession: {
    setPermissionRequestHandler: (fn) => (permissionRequest = fn),
    setPermissionCheckHandler: (fn) => (permissionCheck = fn),
  },
};

export const Menu = {
  buildFromTemplate: (template) => ({ template }),
  setApplicationMenu: (menu) => (report.menu = menu.template.map((m) => ({ label: m.label ?? m.role, items: (m.submenu ?? []).map((i) => i.label ?? i.role ?? i.type) }))),
};

export const shell = { openExternal: async (url) => opened.push(url) };
export const dialog = { showOpenDialog: async () => ({ canceled: true, filePaths: [] }) };
export const webUtils = {};
// a keychain whose "encryption" is reversible and visible, so the report can show the key never lands as plain text
export const safeStorage = {
  isEncryptionAvailable: () => true,
  encryptString: (text) => Buffer.from(`enc:${Buffer.from(text).toString('base64')}`),
  decryptString: (buf) => Buffer.from(buf.toString().slice(4), 'base64').toString(),
};
export const contextBridge = {};
export const ipcRenderer = {};
export default { app, ipcMain, BrowserWindow, session, Menu, shell, dialog, safeStorage };

/** Calls a registered IPC handler as Electron would for a frame at `url`. */
async function invoke(url, channel, ...args) {
  const fn = handlers.get(channel);
  if (!fn) return { error: `no handler for ${channel}` };
  try {
    return { result: await fn({ senderFrame: { url }, sender: webContents }, ...args) };
  } catch (err) {
    return { error: err.message };
  }
}

async function exercise(file) {
  const page = new URL(`file://${file}`).href;
  const c = report.checks;
  c.channels = [...handlers.keys()].sort();
  c.info = await invoke(page, 'app:info');
  c.models = await invoke(page, 'models:list');
  c.badArgument = await invoke(page, 'conversations:get', 'not a number');
  c.untrusted = await invoke('https://evil.example/', 'app:info');
  c.badKind = await invoke(page, 'shell:pick-path', 'passwords');
  c.pickCancelled = await invoke(page, 'shell:pick-path', 'model');
  c.badPdf = await invoke(page, 'shell:print-pdf', 'one');
  const model = c.models.result?.[0];
  if (model) c.created = await invoke(page, 'conversations:create', model.id, [], 'from the stub');
  // A question through the bundled engine host: the answer arrives as events.
  const conversation = c.created?.result;
  if (conversation) c.sent = await invoke(page, 'chat:send', conversation.id, 'What topic have you been trained on?', [], { maxTokens: 8 }, null);
  for (let i = 0; i < 600 && !sent.some(([, e]) => e?.type === 'message'); i++) await new Promise((r) => setTimeout(r, 100));
  c.reply = sent.find(([, e]) => e?.type === 'message')?.[1]?.message ?? null;
  c.judgeKey = await invoke(page, 'grades:setJudgeKey', 'sk-stub-secret');
  c.events = sent.filter(([channel]) => channel === 'diffscope:event').map(([, e]) => e.type);

  // The hooks main puts on every web contents.
  const contents = new EventEmitter();
  let openHandler = null;
  contents.setWindowOpenHandler = (fn) => (openHandler = fn);
  appEvents.emit('web-contents-created', {}, contents);
  let prevented = 0;
  contents.emit('will-navigate', { preventDefault: () => prevented++ }, 'https://elsewhere.example/');
  contents.emit('will-attach-webview', { preventDefault: () => prevented++ });
  c.navigationPrevented = prevented;
  c.windowOpen = ['https://example.org/', 'file:///etc/passwd', 'javascript:alert(1)'].map((url) => openHandler?.({ url }).action);
  c.openedExternally = [...opened];
  let granted = null;
  permissionRequest?.({}, 'media', (ok) => (granted = ok));
  c.permissionGranted = granted;
  c.permissionCheck = permissionCheck?.({}, 'clipboard-read');

  process.stdout.write(`STUB-REPORT ${JSON.stringify(report)}\n`);
  appEvents.emit('will-quit');
  setTimeout(() => process.exit(0), 500);
}
