// Settings: one JSON value per key (judge endpoint, default sampling, window state ...). The
// keys and their types belong to the services that use them.
import type { Db } from './db.ts';

export function settingStore(db: Db) {
  return {
    get<T>(key: string): T | undefined {
      const row = db.get<{ value: string }>(`read setting '${key}'`, 'SELECT value FROM settings WHERE key = ?', [key]);
      return row && (JSON.parse(row.value) as T);
    },

    set(key: string, value: unknown): void {
      if (value === undefined) throw new TypeError(`set setting '${key}': undefined is not a value (use remove)`);
      db.run(
        `set setting '${key}'`,
        'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
        [key, JSON.stringify(value)],
      );
    },

    remove(key: string): boolean {
      return db.run(`remove setting '${key}'`, 'DELETE FROM settings WHERE key = ?', [key]).changes > 0;
    },

    all(): Record<string, unknown> {
      const rows = db.all<{ key: string; value: string }>('list settings', 'SELECT key, value FROM settings ORDER BY key');
      return Object.fromEntries(rows.map((r) => [r.key, JSON.parse(r.value)]));
    },
  };
}
