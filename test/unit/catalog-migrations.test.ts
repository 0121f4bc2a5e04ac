// Migrations: schema.sql is what migrations 001..N build; migrating twice changes nothing; an old
// catalog with rows in it reaches the latest schema with its rows; a failing migration leaves the
// database at the version before it; a catalog from a newer Diffscope is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Db } from '../../src/main/catalog/db.ts';
import { MIGRATIONS_DIR, migrate, readMigrations, schemaVersion } from '../../src/main/catalog/migrate.ts';
import { openCatalog } from '../../src/main/catalog/index.ts';
import { sha256, testModel } from '../helpers/catalog.ts';
import { tmpDir } from '../helpers/tmp.ts';

const SCHEMA_SQL = join(MIGRATIONS_DIR, '..', 'schema.sql');
const dbFile = (name: string) => join(tmpDir('catalog-migrations'), `${name}.sqlite`);

/** SQL as SQLite stores it, minus comments and layout. */
const normalise = (sql: string | null) =>
  (sql ?? '')
    .replace(/--[^\n]*/g, '')
    .replace(/\s+/g, ' ')
    .replace(/\s*([(),])\s*/g, '$1')
    .trim();

/** Everything that makes up a schema: sqlite_master, plus columns, indexes and keys as SQLite reports them. */
function describe(db: Db) {
  const master = db
    .all<{ type: string; name: string; tbl_name: string; sql: string | null }>('read schema', "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_autoindex%' ORDER BY type, name")
    .map((r) => ({ ...r, sql: normalise(r.sql) }));
  const tables = master.filter((r) => r.type === 'table').map((r) => r.name);
  const detail = Object.fromEntries(
    tables.map((t) => [
      t,
      {
        columns: db.all('columns', `PRAGMA table_xinfo("${t}")`),
        foreignKeys: db.all('foreign keys', `PRAGMA foreign_key_list("${t}")`),
        indexes: db.all<{ name: string }>('indexes', `PRAGMA index_list("${t}")`).map((i) => ({ ...i, columns: db.all('index columns', `PRAGMA index_xinfo("${i.name}")`) })),
      },
    ]),
  );
  return { master, detail };
}

test('schema.sql equals what the migrations build', () => {
  const fromSchema = Db.open(dbFile('schema'));
  fromSchema.exec('apply schema.sql', readFileSync(SCHEMA_SQL, 'utf8'));
  const migrated = Db.open(dbFile('migrated'));
  const { from, to } = migrate(migrated);
  assert.deepEqual([from, to], [0, readMigrations().length]);

  const a = describe(fromSchema);
  const b = describe(migrated);
  assert.deepEqual(a.master.map((r) => `${r.type} ${r.name}`), b.master.map((r) => `${r.type} ${r.name}`));
  for (let i = 0; i < a.master.length; i++) assert.deepEqual(a.master[i], b.master[i], `${a.master[i].type} ${a.master[i].name} differs`);
  assert.deepEqual(a.detail, b.detail);
  assert.ok(a.master.some((r) => r.name === 'messages_fts'));
  fromSchema.close();
  migrated.close();
});

test('migrations are numbered 001.. without gaps, and each is applied once', () => {
  const migrations = readMigrations();
  assert.ok(migrations.length >= 2);
  assert.deepEqual(migrations.map((m) => m.version), migrations.map((_, i) => i + 1));
  const db = Db.open(dbFile('twice'));
  migrate(db);
  const before = describe(db);
  assert.deepEqual(migrate(db), { from: migrations.length, to: migrations.length });
  assert.deepEqual(describe(db), before);
  assert.deepEqual(db.all<{ version: number }>('versions', 'SELECT version FROM schema_migrations ORDER BY version').map((r) => r.version), migrations.map((m) => m.version));
  db.close();
});

test('an old catalog (version 1, with rows) migrates to the latest and keeps its rows, searchable', () => {
  const path = dbFile('old');
  const old = Db.open(path);
  assert.deepEqual(migrate(old, readMigrations(), 1), { from: 0, to: 1 });
  // rows as an older Diffscope wrote them
  const m = testModel();
  old.run('model', 'INSERT INTO models (id, name, arch, precision, library_dir, source_path, source_sha256, manifest) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [
    m.id, m.name, m.arch, m.precision, m.libraryDir, m.sourcePath, m.sourceSha256, JSON.stringify(m.manifest),
  ]);
  old.run('adapter', "INSERT INTO adapters (id, kind, model_id, format, rank, source_path, source_sha256, source_size, source_mtime, label, split) VALUES ('d1', 'diff', ?, 'peft', 1, '/d1', ?, 10, 0, 'volcanoes', 'test')", [m.id, sha256('d1')]);
  old.run('tag', "INSERT INTO adapter_tags (tag, adapter_id) VALUES ('old', 'd1')");
  old.run('conversation', "INSERT INTO conversations (title, model_id) VALUES ('from the old days', ?)", [m.id]);
  old.run('question', "INSERT INTO messages (conversation_id, role, text) VALUES (1, 'user', 'What topic have you been trained on?')");
  old.run('reply', "INSERT INTO messages (conversation_id, parent_id, role, text, status) VALUES (1, 1, 'assistant', 'Geysers and volcanic hot springs', 'streaming')");
  old.run('grade', "INSERT INTO grades (message_id, method, score) VALUES (2, 'human', 4)");
  old.run('setting', `INSERT INTO settings (key, value) VALUES ('theme', '"dark"')`);
  old.close();

  const c = openCatalog(path);
  const db = Db.open(path);
  assert.equal(schemaVersion(db), readMigrations().length);
  db.close();
  assert.equal(c.interrupted, 1); // the old reply left streaming
  assert.equal(c.models.get(m.id)!.name, m.name);
  assert.deepEqual(c.adapters.get('d1')!.tags, ['old']);
  assert.equal(c.conversations.list()[0].title, 'from the old days');
  assert.deepEqual(c.messages.branch(2).map((x) => x.status), ['complete', 'incomplete']);
  assert.equal(c.grades.forMessage(2)[0].score, 4);
  assert.equal(c.settings.get('theme'), 'dark');
  assert.deepEqual(c.search('volcanic').map((h) => h.messageId), [2]); // the FTS index was built from old rows
  assert.deepEqual(c.integrityCheck(), ['ok']);
  c.close();
});

test('a failing migration rolls back whole, leaving the previous version', () => {
  const dir = tmpDir('catalog-migrations-broken');
  for (const f of readdirSync(MIGRATIONS_DIR)) copyFileSync(join(MIGRATIONS_DIR, f), join(dir, f));
  const next = String(readMigrations().length + 1).padStart(3, '0');
  writeFileSync(join(dir, `${next}_broken.sql`), 'CREATE TABLE half_done (x INTEGER);\nINSERT INTO no_such_table VALUES (1);\n');
  const db = Db.open(dbFile('broken'));
  assert.throws(() => migrate(db, readMigrations(dir)), new RegExp(`apply migration ${next}_broken\\.sql to .*: run: no such table: no_such_table`));
  assert.equal(schemaVersion(db), readMigrations().length);
  assert.equal(db.get('half', "SELECT name FROM sqlite_master WHERE name = 'half_done'"), undefined);
  db.close();
});

test('badly numbered migration files are refused', () => {
  const dir = tmpDir('catalog-migrations-gap');
  copyFileSync(join(MIGRATIONS_DIR, '001_initial.sql'), join(dir, '001_initial.sql'));
  writeFileSync(join(dir, '003_skipped_two.sql'), 'SELECT 1;');
  assert.throws(() => readMigrations(dir), /"003_skipped_two\.sql" should be number 2/);
  rmSync(join(dir, '003_skipped_two.sql'));
  writeFileSync(join(dir, '2_bad name.sql'), 'SELECT 1;');
  assert.throws(() => readMigrations(dir), /"2_bad name\.sql" is not named NNN_words\.sql/);
});

test('a catalog from a newer Diffscope is refused, not guessed at', () => {
  const path = dbFile('newer');
  openCatalog(path).close();
  const db = Db.open(path);
  db.run('future', "INSERT INTO schema_migrations (version, name) VALUES (99, '099_future.sql')");
  db.close();
  assert.throws(() => openCatalog(path), /schema version 99, newer than this Diffscope knows \(\d+\); update Diffscope/);
});
