// Sandboxed preload (built as CommonJS): exposes the src/shared contract as window.diffscope and
// nothing else; the renderer never sees ipcRenderer.
import { contextBridge, ipcRenderer } from 'electron';
import { createApi, type Invoke } from './api.ts';

const invoke: Invoke = (channel, ...args) => ipcRenderer.invoke(channel, ...args);

contextBridge.exposeInMainWorld('diffscope', createApi(invoke));
