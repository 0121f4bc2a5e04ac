// The back end for one CLI command: the catalog in the data folder, engines in a worker thread.
// Opened without recovering interrupted replies: a running app may be streaming into the catalog.
import { createBackend, type Backend, type BackendOptions } from '../services/backend.ts';

export async function withBackend<T>(fn: (b: Backend) => Promise<T>, opts: Pick<BackendOptions, 'provider'> = {}): Promise<T> {
  const backend = await createBackend({ shell: 'browser', engineHost: 'thread', firstRun: false, recover: false, ...opts });
  try {
    return await fn(backend);
  } finally {
    await backend.close();
  }
}
