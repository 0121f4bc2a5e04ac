// What every service shares: the catalog, the event stream, jobs and the engine pool.
import type { Catalog, Model } from '../catalog/index.ts';
import type { Manifest } from '../engine/library.ts';
import type { ApiEvent } from '../../shared/api.ts';
import type { EnginePool } from './engine-pool.ts';
import type { Jobs } from './jobs.ts';

/** The catalog as the services open it: models carry the engine's manifest. */
export type LibraryCatalog = Catalog<Manifest>;
export type LibraryModel = Model<Manifest>;

export interface Ctx {
  home: string;
  catalog: LibraryCatalog;
  emit: (event: ApiEvent) => void;
  jobs: Jobs;
  engines: EnginePool;
  shell: 'electron' | 'browser';
}

/** A service error the user can act on: shown as is (one line). */
export class UserError extends Error {}

export function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new UserError(`${what} does not exist`);
  return value;
}
