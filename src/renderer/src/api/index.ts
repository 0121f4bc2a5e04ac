// Which transport the page has: the preload's window.diffscope in Electron, else the HTTP client
// of browser mode when the page was served over http(s) by `diffscope serve`.
import type { DiffscopeApi } from '../../../shared/api.ts';
import { createHttpClient } from './http-client.ts';

export function pickApi(): DiffscopeApi | undefined {
  if (window.diffscope) return window.diffscope;
  if (location.protocol === 'http:' || location.protocol === 'https:') return createHttpClient(location.origin);
  return undefined;
}

export { ApiError, createHttpClient, requestsOver } from './http-client.ts';
