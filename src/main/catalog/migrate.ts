// Numbered migrations: migrations/NNN_name.sql, applied in order, each in its own transaction
// together with its row in schema_migrations, so a crash leaves a database at one version or the
// next, never between. Applying them twice is a no-op. A catalog newer than this build is refused
// rather than guessed at.
//
// A future migration that rebuilds a table (SQLite's 12-step ALTER) needs foreign_keys = OFF,
// which cannot change inside a transaction: give the migrator a way to run that one outside,
// rather than weakening the rule for all.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CatalogError, type Db } from './db.ts';

export interface Migration {
  version: number;
  name: string; // file name
  sql: string;
}

/**
 * Where the .sql files are read from at run time. The Electron build must ship this folder beside
 * the bundled main script (see the note in the catalog's report / electron.vite.config.ts).
 */
export const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

/** Kept word for word in schema.sql; the migrator makes it before any migration runs. */
const SCHEMA_MIGRATIONS = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version    INTEGER PRIMARY KEY,
  name       TEXT NOT NULL,
  applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;`;

export function readMigrations(dir = MIGRATIONS_DIR): Migration[] {
  const files = readdirSync(dir).filter((f) => f.endsWith('.sql')).sort();
  const migrations = files.map((name, i) => {
    const m = /^(\d{3})_[a-z0-9_]+\.sql$/.exec(name);
    if (!m) throw new CatalogError(`read migrations in ${dir}: "${name}" is not named NNN_words.sql`);
    const version = Number(m[1]);
    if (version !== i + 1) throw new CatalogError(`read migrations in ${dir}: "${name}" should be number ${i + 1} (no gaps, no duplicates)`);
    return { version, name, sql: readFileSync(join(dir, name), 'utf8') };
  });
  if (migrations.length === 0) throw new CatalogError(`read migrations in ${dir}: no NNN_name.sql files`);
  return migrations;
}

/** The highest migration applied (0 for a new database). */
export function schemaVersion(db: Db): number {
  db.exec('create schema_migrations', SCHEMA_MIGRATIONS);
  return db.get<{ v: number | null }>('read schema version', 'SELECT max(version) AS v FROM schema_migrations')?.v ?? 0;
}

/** Applies the migrations above the database's version, up to `upTo` (default: all). */
export function migrate(db: Db, migrations = readMigrations(), upTo = migrations.length): { from: number; to: number } {
  const from = schemaVersion(db);
  if (from > migrations.length) {
    throw new CatalogError(`catalog ${db.path} is at schema version ${from}, newer than this Diffscope knows (${migrations.length}); update Diffscope`);
  }
  for (const m of migrations) {
    if (m.version <= from || m.version > upTo) continue;
    db.transaction(`apply migration ${m.name} to ${db.path}`, () => {
      db.exec('run', m.sql);
      db.run('record', 'INSERT INTO schema_migrations (version, name) VALUES (?, ?)', [m.version, m.name]);
      const broken = db.all<{ table: string; parent: string }>('check foreign keys', 'PRAGMA foreign_key_check');
      if (broken.length > 0) throw new CatalogError(`${broken.length} rows break foreign keys, first in ${broken[0].table} -> ${broken[0].parent}`);
    });
  }
  return { from, to: Math.max(from, Math.min(upTo, migrations.length)) };
}
