// The slice of better-sqlite3 (v12) that catalog/db.ts uses; @types/better-sqlite3 is not installed.
// Only db.ts imports the module, so this file is all the typing the project needs.
declare module 'better-sqlite3' {
  namespace Database {
    interface RunResult {
      changes: number;
      lastInsertRowid: number | bigint;
    }

    interface Statement {
      readonly reader: boolean; // true when the statement returns rows
      run(...params: unknown[]): RunResult;
      get(...params: unknown[]): unknown;
      all(...params: unknown[]): unknown[];
      iterate(...params: unknown[]): IterableIterator<unknown>;
    }

    interface Options {
      readonly?: boolean;
      fileMustExist?: boolean;
      timeout?: number;
    }

    interface Database {
      readonly open: boolean;
      readonly inTransaction: boolean;
      readonly name: string;
      prepare(sql: string): Statement;
      exec(sql: string): this;
      pragma(source: string, options: { simple: true }): unknown;
      pragma(source: string, options?: { simple?: false }): unknown[];
      transaction<F extends (...args: never[]) => unknown>(fn: F): F & { deferred: F; immediate: F; exclusive: F };
      close(): this;
    }

    interface SqliteError extends Error {
      code: string;
    }
  }

  interface DatabaseConstructor {
    new (filename: string, options?: Database.Options): Database.Database;
    SqliteError: new (message: string, code: string) => Database.SqliteError;
  }

  const Database: DatabaseConstructor;
  export default Database;
}
