// Builds the contract's object on top of a typed invoke and an event subscription, one method per
// entry of API_CHANNELS. No `electron` import here, so tests can build it with a fake transport
// and check what the renderer will see.
import { API_CHANNELS, type ApiEvent, type Channel, type DiffscopeApi } from '../shared/api.ts';

export type Invoke = (channel: Channel, ...args: unknown[]) => Promise<unknown>;
export type Subscribe = (listener: (event: ApiEvent) => void) => () => void;

export function createApi(invoke: Invoke, onEvent: Subscribe): DiffscopeApi {
  const domains = Object.entries(API_CHANNELS).map(([domain, methods]) => [
    domain,
    Object.fromEntries(Object.entries(methods).map(([method, channel]) => [method, (...args: unknown[]) => invoke(channel as Channel, ...args)])),
  ]);
  // The shape is the contract's by construction (API_CHANNELS `satisfies` it); TypeScript cannot
  // follow Object.entries, hence the one cast.
  return { ...(Object.fromEntries(domains) as unknown as Omit<DiffscopeApi, 'onEvent'>), onEvent };
}

/**
 * ipcRenderer.invoke wraps a handler's error as "Error invoking remote method 'x': Error: msg";
 * the person needs only the message.
 */
export function cleanIpcError(err: unknown): Error {
  const message = err instanceof Error ? err.message : String(err);
  return new Error(message.replace(/^Error invoking remote method '[^']*': (?:\w*Error: )?/, ''));
}
