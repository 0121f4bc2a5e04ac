// Electron main process: one locked-down window showing the renderer, the IPC handlers of the
// contract, and nothing that reaches outside the app's own files.
import { app, BrowserWindow, session } from 'electron';
import { fileURLToPath } from 'node:url';
import { registerIpc } from './ipc.ts';

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

function createWindow(): void {
  const win = new BrowserWindow({
    width: 1200,
    height: 800,
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
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

void app.whenReady().then(() => {
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
  registerIpc(isTrustedUrl);
  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
});
