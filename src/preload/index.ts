// Sandboxed preload (built as CommonJS): exposes the src/shared contract as window.diffscope and
// the shell's few extras as window.diffscopeShell; the renderer never sees ipcRenderer.
import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import { EVENT_CHANNEL, type ApiEvent } from '../shared/api.ts';
import { cleanIpcError, createApi, type Invoke, type Subscribe } from './api.ts';
import { SHELL_CHANNELS, type DiffscopeShell, type MenuCommand } from '../shared/shell.ts';

const invoke: Invoke = (channel, ...args) =>
  ipcRenderer.invoke(channel, ...args).catch((err: unknown) => {
    throw cleanIpcError(err);
  });

/** One listener on a main-to-renderer channel; returns its removal. */
function listen<T>(channel: string, listener: (value: T) => void): () => void {
  const handler = (_event: IpcRendererEvent, value: T) => listener(value);
  ipcRenderer.on(channel, handler);
  return () => void ipcRenderer.removeListener(channel, handler);
}

const onEvent: Subscribe = (listener) => listen<ApiEvent>(EVENT_CHANNEL, listener);

const shell: DiffscopeShell = {
  pickPath: (kind) => ipcRenderer.invoke(SHELL_CHANNELS.pickPath, kind) as Promise<string | null>,
  pathForFile: (file) => webUtils.getPathForFile(file),
  onMenu: (listener) => listen<MenuCommand>(SHELL_CHANNELS.menu, listener),
  printPdf: (conversationId) => ipcRenderer.invoke(SHELL_CHANNELS.printPdf, conversationId) as Promise<string | null>,
};

contextBridge.exposeInMainWorld('diffscope', createApi(invoke, onEvent));
contextBridge.exposeInMainWorld('diffscopeShell', shell);
