// Electron main process: one locked-down window showing the renderer, the API wired to the back
// end over IPC, the menu, and nothing that reaches outside the app's own files.
import { app, BrowserWindow, Menu, session, shell } from 'electron';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openBackend } from './backend.ts';
import { registerIpc } from './ipc.ts';
import { buildMenu } from './menu.ts';

// electron-vite sets this for `electron-vite dev`; a packaged app always loads its own files.
const devServerUrl = !app.isPackaged ? process.env['ELECTRON_RENDERER_URL'] : undefined;
const rendererFile = new URL('../renderer/index.html', import.meta.url);

/** IPC is answered only for our own page: the dev server's origin, or the built index.html. */
function isTrustedUrl(url: string): boolean {
  if (!URL.canParse(url)) return false;
  const page = new URL(url);
  if (devServerUrl) return page.origin === new URL(devServerUrl).origin;
  return page.protocol === 'file:' && page.pathname === rendererFile.pathname;
}

/** The embedded demo: beside the asar when packaged (electron-builder.yml extraResources), else in the repository. */
const demoDir = () => (app.isPackaged ? join(process.resourcesPath, 'demo') : join(app.getAppPath(), 'resources', 'demo'));

/** Links in answers (http, https, mailto only: the renderer's Markdown keeps no other) open outside. */
const isExternalLink = (url: string) => /^(https?:|mailto:)/i.test(url);

function createWindow(): void {
  const win = new BrowserWindow({
    width: 1280,
    height: 820,
    title: 'Diffscope',
    webPreferences: {
      preload: fileURLToPath(new URL('../preload/index.cjs', import.meta.url)),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
    },
  });
  if (devServerUrl) void win.loadURL(devServerUrl);
  else void win.loadFile(fileURLToPath(rendererFile));
}

// Applies to every web contents, including any a later feature creates.
app.on('web-contents-created', (_event, contents) => {
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    if (isExternalLink(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

void app.whenReady().then(async () => {
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
  const backend = await openBackend(process.env['DIFFSCOPE_HOME'] || app.getPath('userData'), process.env['DIFFSCOPE_DEMO_DIR'] || demoDir());
  const unregister = registerIpc(backend, isTrustedUrl);
  app.once('will-quit', () => {
    unregister();
    void backend.close();
  });
  Menu.setApplicationMenu(buildMenu());
  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
});
