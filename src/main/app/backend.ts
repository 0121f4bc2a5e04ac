// What the Electron shell needs of the back end: one dispatch for every channel of the contract
// (arguments checked there, src/main/services/handlers.ts) and the event stream. The services'
// Backend satisfies it; the shell depends on nothing more, so it stays thin.
import type { ApiEvent } from '../../shared/api.ts';
import { createBackend } from '../services/backend.ts';
import { keychainSecrets } from './secrets.ts';

export interface Backend {
  /** Checks the raw arguments of a `<domain>:<method>` call and runs it; rejects on bad input. */
  dispatch(channel: string, args: unknown[]): Promise<unknown>;
  onEvent(listener: (event: ApiEvent) => void): () => void;
  close(): Promise<void>;
}

/**
 * The app's back end: the catalog in the user's data folder, engines in a child process. The demo
 * folder is passed in: bundled into out/main, the services cannot find resources/ on their own.
 */
export function openBackend(home: string, demoDir: string): Promise<Backend> {
  return createBackend({ shell: 'electron', home, demoDir, secrets: keychainSecrets(home) });
}
