// The database layer: the only module that imports better-sqlite3. It opens a connection with
// the settings below, caches prepared statements, and wraps every error with what was being done
// ("insert adapter 'x': UNIQUE constraint failed: adapters.id"). Queries live in the domain files
// (models.ts, adapters.ts ...) next to the code that maps their rows.
import Database from 'better-sqlite3';

/**
 * Connection settings, in one place. Applied to every connection (they are not all persistent).
 */
const CONNECTION_PRAGMAS = [
  // Write-ahead log: readers never block the writer nor the writer readers (the UI lists and
  // searches while a reply streams in), and a crash mid-write leaves the last committed state.
  'journal_mode = WAL',
  // Safe with WAL: commits are not fsynced one by one, only at checkpoints. A killed process loses
  // nothing committed; a power cut may lose the last few commits, and never corrupts the file.
  'synchronous = NORMAL',
  // SQLite leaves foreign keys unenforced unless each connection asks.
  'foreign_keys = ON',
  // A second process on the same catalog (the CLI while the app runs) waits up to 5 s for the
  // write lock instead of failing at once with SQLITE_BUSY.
  'busy_timeout = 5000',
  // Sorts and temporary indexes (FTS merges, ORDER BY without an index) in memory, not temp files.
  'temp_store = MEMORY',
];

/** SQL for "now" as stored in every timestamp column: ISO-8601 UTC with milliseconds. */
export const NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

export type Params = Record<string, unknown> | readonly unknown[];

/** An error from the catalog, its message prefixed with what was being done. */
export class CatalogError extends Error {
  override name = 'CatalogError';
  /** SQLite's extended result code when SQLite raised it, e.g. SQLITE_CONSTRAINT_FOREIGNKEY. */
  readonly code?: string;

  constructor(message: string, code?: string, cause?: unknown) {
    super(message, { cause });
    this.code = code;
  }
}

function wrap(what: string, e: unknown): CatalogError {
  if (e instanceof CatalogError) return new CatalogError(`${what}: ${e.message}`, e.code, e);
  if (e instanceof Database.SqliteError) return new CatalogError(`${what}: ${e.message}`, e.code, e);
  return new CatalogError(`${what}: ${e instanceof Error ? e.message : String(e)}`, undefined, e);
}

export class Db {
  private readonly statements = new Map<string, Database.Statement>();

  private constructor(
    private readonly sqlite: Database.Database,
    readonly path: string,
  ) {}

  /** Opens (creating if needed) the database file at `path` with the connection settings above. */
  static open(path: string): Db {
    let sqlite: Database.Database;
    try {
      sqlite = new Database(path);
    } catch (e) {
      throw wrap(`open catalog ${path}`, e);
    }
    const db = new Db(sqlite, path);
    try {
      for (const pragma of CONNECTION_PRAGMAS) sqlite.pragma(pragma);
    } catch (e) {
      sqlite.close();
      throw wrap(`configure catalog ${path}`, e);
    }
    return db;
  }

  private statement(sql: string): Database.Statement {
    let stmt = this.statements.get(sql);
    if (!stmt) this.statements.set(sql, (stmt = this.sqlite.prepare(sql)));
    return stmt;
  }

  private call<T>(what: string, sql: string, params: Params | undefined, use: (s: Database.Statement, args: unknown[]) => T): T {
    try {
      const args = params === undefined ? [] : Array.isArray(params) ? params : [params];
      return use(this.statement(sql), args);
    } catch (e) {
      throw wrap(what, e);
    }
  }

  /** A statement that returns no rows. `lastId` is the rowid of the row it inserted, if any. */
  run(what: string, sql: string, params?: Params): { changes: number; lastId: number } {
    return this.call(what, sql, params, (s, args) => {
      const r = s.run(...args);
      return { changes: r.changes, lastId: Number(r.lastInsertRowid) };
    });
  }

  /** The first row, or undefined. R is the row as SQLite returns it (snake_case columns). */
  get<R>(what: string, sql: string, params?: Params): R | undefined {
    return this.call(what, sql, params, (s, args) => s.get(...args) as R | undefined);
  }

  all<R>(what: string, sql: string, params?: Params): R[] {
    return this.call(what, sql, params, (s, args) => s.all(...args) as R[]);
  }

  /** Several statements without parameters (migrations). Not cached. */
  exec(what: string, sql: string): void {
    try {
      this.sqlite.exec(sql);
    } catch (e) {
      throw wrap(what, e);
    }
  }

  /**
   * Runs fn in one transaction (a savepoint when nested); any throw rolls it back. `what` prefixes
   * the error; null leaves it as the failing call inside worded it.
   *
   * BEGIN IMMEDIATE: the app and the CLI write the same file. A deferred transaction that reads
   * first and writes later fails at once with SQLITE_BUSY_SNAPSHOT when another connection wrote
   * in between (busy_timeout cannot help it); an immediate one takes the write lock at BEGIN, so a
   * second writer waits its turn instead.
   */
  transaction<T>(what: string | null, fn: () => T): T {
    try {
      return this.sqlite.transaction(fn).immediate();
    } catch (e) {
      throw what === null ? e : wrap(what, e);
    }
  }

  get inTransaction(): boolean {
    return this.sqlite.inTransaction;
  }

  close(): void {
    if (!this.sqlite.open) return;
    // Recommended before closing a long-lived connection: refreshes query-planner statistics
    // where they have gone stale, cheaply.
    try {
      this.sqlite.pragma('optimize');
    } finally {
      this.statements.clear();
      this.sqlite.close();
    }
  }
}

/** JSON for a JSON column (undefined and null both become SQL NULL). */
export function toJson(value: unknown): string | null {
  return value === undefined || value === null ? null : JSON.stringify(value);
}

/** A JSON column's value, parsed; SQL NULL stays null. */
export function fromJson<T>(text: string | null): T | null {
  return text === null ? null : (JSON.parse(text) as T);
}
