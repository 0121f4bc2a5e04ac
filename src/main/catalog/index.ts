// The catalog: Diffscope's SQLite store of models, adapters, conversations, grades, evaluations
// and settings. `openCatalog` opens (or creates) the file, brings its schema up to date and
// recovers replies a crash left half-written. The domain stores hold the queries; db.ts alone
// talks to SQLite.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { dataHome } from '../paths.ts';
import { Db } from './db.ts';
import { migrate } from './migrate.ts';
import { modelStore } from './models.ts';
import { adapterStore } from './adapters.ts';
import { conversationStore, messageStore } from './conversations.ts';
import { evalGradeStore, gradeStore } from './grades.ts';
import { evalStore } from './evals.ts';
import { agentStepStore } from './agent-steps.ts';
import { settingStore } from './settings.ts';
import { optimizeSearch, searchMessages, type SearchHit, type SearchOptions } from './search.ts';

export { CatalogError } from './db.ts';
export type * from './models.ts';
export type * from './adapters.ts';
export type * from './conversations.ts';
export type * from './grades.ts';
export type * from './evals.ts';
export type * from './agent-steps.ts';
export type * from './search.ts';
export { engineRef } from './adapters.ts';

/** <home>/catalog.sqlite, home being DIFFSCOPE_HOME or the platform's app-data folder. */
export function catalogPath(home = dataHome()): string {
  return join(home, 'catalog.sqlite');
}

export interface OpenOptions {
  /**
   * Mark replies left 'streaming' as 'incomplete' (default true). A process that may open the
   * catalog while another is streaming into it (a one-shot CLI command beside a running app)
   * passes false, or it would mark the other's live reply.
   */
  recover?: boolean;
}

/** M: the type of the models' manifests, which the catalog stores whole (models.ts). */
export class Catalog<M = unknown> {
  readonly models;
  readonly adapters;
  readonly conversations;
  readonly messages;
  readonly grades;
  readonly evals;
  readonly evalGrades;
  readonly agentSteps;
  readonly settings;
  /** How many replies this open found interrupted (left 'streaming' by a crash). */
  readonly interrupted: number;

  constructor(
    private readonly db: Db,
    opts: OpenOptions = {},
  ) {
    this.models = modelStore<M>(db);
    this.adapters = adapterStore(db);
    this.conversations = conversationStore(db);
    this.messages = messageStore(db);
    this.grades = gradeStore(db);
    this.evals = evalStore(db);
    this.evalGrades = evalGradeStore(db);
    this.agentSteps = agentStepStore(db);
    this.settings = settingStore(db);
    this.interrupted = opts.recover === false ? 0 : this.messages.markInterrupted();
  }

  get path(): string {
    return this.db.path;
  }

  search(text: string, opts?: SearchOptions): SearchHit[] {
    return searchMessages(this.db, text, opts);
  }

  /** See search.ts: for idle time or after a large import. */
  optimizeSearch(): void {
    optimizeSearch(this.db);
  }

  /** Groups calls to the stores into one transaction: all happen, or none. */
  transaction<T>(what: string, fn: () => T): T {
    return this.db.transaction(what, fn);
  }

  /** PRAGMA integrity_check: ['ok'] for a sound file, else SQLite's list of problems. */
  integrityCheck(): string[] {
    return this.db.all<{ integrity_check: string }>('check integrity', 'PRAGMA integrity_check').map((r) => r.integrity_check);
  }

  close(): void {
    this.db.close();
  }
}

/** Opens the catalog at `path`, creating it and its folder if needed, migrated to the latest schema. */
export function openCatalog<M = unknown>(path = catalogPath(), opts: OpenOptions = {}): Catalog<M> {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = Db.open(path);
  try {
    migrate(db);
    return new Catalog<M>(db, opts);
  } catch (e) {
    db.close();
    throw e;
  }
}
