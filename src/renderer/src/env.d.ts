/// <reference types="svelte" />
import type { DiffscopeApi } from '../../shared/api.ts';
import type { DiffscopeShell } from './lib/shell.ts';

declare global {
  interface Window {
    /** The API contract, set by the preload in Electron; in a browser main.ts builds an HTTP client. */
    diffscope?: DiffscopeApi;
    /** Electron only: native dialogs, dropped files' paths, menu commands. */
    diffscopeShell?: DiffscopeShell;
  }
}
