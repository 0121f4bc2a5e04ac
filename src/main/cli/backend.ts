// The back end for one CLI command: the catalog in the data folder, engines in a worker thread.
// Opened without recovering interrupted replies: a running app may be streaming into the catalog.
import { createBackend, type Backend } from '../services/backend.ts';

export async function withBackend<T>(fn: (b: Backend) => Promise<T>): Promise<T> {
  const backend = await createBackend({ shell: 'browser', engineHost: 'thread', firstRun: false, recover: false });
  try {
    return await fn(backend);
  } finally {
    await backend.close();
  }
}
