/// <reference types="svelte" />
import type { DiffscopeApi } from '../../shared/api.ts';

declare global {
  interface Window {
    /** Set by the preload in Electron; absent in a plain browser until browser mode provides it. */
    diffscope?: DiffscopeApi;
  }
}
