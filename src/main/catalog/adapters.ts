// Adapters: weight diffs, DIT adapters and full finetunes, each validated against one base model
// and referenced by its source file (path + sha256 + index), never copied.
import { CatalogError, type Db } from './db.ts';

export type AdapterKind = 'diff' | 'dit' | 'full';
export type AdapterFormat = 'paper-pt' | 'peft' | 'safetensors' | 'full';
export type Split = 'train' | 'test';

/** Where the tensors are, and what the file looked like when it was imported. */
export interface AdapterSource {
  path: string; // file or folder
  index: number | null; // which diff inside a multi-diff .pt shard
  sha256: string;
  size: number; // bytes
  mtimeMs: number; // integer ms since the epoch
}

export interface Adapter {
  id: string;
  kind: AdapterKind;
  modelId: string; // the base it was validated against
  format: AdapterFormat;
  rank: number | null; // null until the tensors are read
  source: AdapterSource;
  label: string | null; // what it is known to teach: topic, or news headline
  description: string | null;
  trigger: number | null;
  split: Split | null;
  experiment: string | null; // e.g. 'hidden-topic/qwen3-4b'
  tags: string[];
  createdAt: string;
}

export type NewAdapter = Pick<Adapter, 'id' | 'kind' | 'modelId' | 'format' | 'source'> &
  Partial<Pick<Adapter, 'rank' | 'label' | 'description' | 'trigger' | 'split' | 'experiment' | 'tags'>>;

/** What can change after import (the source has its own method: setSource). */
export type AdapterPatch = Partial<Pick<Adapter, 'rank' | 'label' | 'description' | 'trigger' | 'split' | 'experiment'>>;

export interface AdapterFilter {
  modelId?: string;
  kind?: AdapterKind;
  split?: Split;
  experiment?: string;
  tag?: string;
  limit?: number;
  offset?: number;
}

/** The engine's name for an adapter's tensors (engine.ts FileStackEntry.path): "file" or "file#INDEX". */
export function engineRef(a: Pick<Adapter, 'source'>): string {
  return a.source.index === null ? a.source.path : `${a.source.path}#${a.source.index}`;
}

interface AdapterRow {
  id: string;
  kind: AdapterKind;
  model_id: string;
  format: AdapterFormat;
  rank: number | null;
  source_path: string;
  source_index: number | null;
  source_sha256: string;
  source_size: number;
  source_mtime: number;
  label: string | null;
  description: string | null;
  trigger: number | null;
  split: Split | null;
  experiment: string | null;
  tags: string; // JSON array from the subquery in SELECT_ADAPTER
  created_at: string;
}

const SELECT_ADAPTER = `SELECT a.*, (SELECT json_group_array(tag) FROM adapter_tags WHERE adapter_id = a.id) AS tags FROM adapters a`;

const toAdapter = (r: AdapterRow): Adapter => ({
  id: r.id,
  kind: r.kind,
  modelId: r.model_id,
  format: r.format,
  rank: r.rank,
  source: { path: r.source_path, index: r.source_index, sha256: r.source_sha256, size: r.source_size, mtimeMs: r.source_mtime },
  label: r.label,
  description: r.description,
  trigger: r.trigger,
  split: r.split,
  experiment: r.experiment,
  tags: (JSON.parse(r.tags) as string[]).sort(),
  createdAt: r.created_at,
});

const INSERT = `INSERT INTO adapters (id, kind, model_id, format, rank, source_path, source_index, source_sha256,
    source_size, source_mtime, label, description, trigger, split, experiment)
  VALUES (@id, @kind, @modelId, @format, @rank, @sourcePath, @sourceIndex, @sourceSha256,
    @sourceSize, @sourceMtime, @label, @description, @trigger, @split, @experiment)`;

const INSERT_TAG = 'INSERT OR IGNORE INTO adapter_tags (tag, adapter_id) VALUES (?, ?)';

const insertParams = (a: NewAdapter) => ({
  id: a.id,
  kind: a.kind,
  modelId: a.modelId,
  format: a.format,
  rank: a.rank ?? null,
  sourcePath: a.source.path,
  sourceIndex: a.source.index,
  sourceSha256: a.source.sha256,
  sourceSize: a.source.size,
  sourceMtime: Math.trunc(a.source.mtimeMs),
  label: a.label ?? null,
  description: a.description ?? null,
  trigger: a.trigger ?? null,
  split: a.split ?? null,
  experiment: a.experiment ?? null,
});

function cleanTags(tags: readonly string[] = []): string[] {
  return [...new Set(tags.map((t) => t.trim()).filter((t) => t !== ''))];
}

/** WHERE clause and parameters for a filter; the fragments are fixed, so statements cache well. */
function where(f: AdapterFilter): { sql: string; params: Record<string, unknown> } {
  const clauses: string[] = [];
  const params: Record<string, unknown> = {};
  if (f.modelId !== undefined) (clauses.push('a.model_id = @modelId'), (params.modelId = f.modelId));
  if (f.kind !== undefined) (clauses.push('a.kind = @kind'), (params.kind = f.kind));
  if (f.split !== undefined) (clauses.push('a.split = @split'), (params.split = f.split));
  if (f.experiment !== undefined) (clauses.push('a.experiment = @experiment'), (params.experiment = f.experiment));
  if (f.tag !== undefined) {
    clauses.push('a.id IN (SELECT adapter_id FROM adapter_tags WHERE tag = @tag)');
    params.tag = f.tag;
  }
  return { sql: clauses.length ? ` WHERE ${clauses.join(' AND ')}` : '', params };
}

const describeFilter = (f: AdapterFilter) =>
  Object.entries(f)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ') || 'all';

export function adapterStore(db: Db) {
  const insertOne = (a: NewAdapter) => {
    db.run(`insert adapter '${a.id}'`, INSERT, insertParams(a));
    for (const tag of cleanTags(a.tags)) db.run(`tag adapter '${a.id}' '${tag}'`, INSERT_TAG, [tag, a.id]);
  };

  const store = {
    get(id: string): Adapter | undefined {
      const row = db.get<AdapterRow>(`get adapter '${id}'`, `${SELECT_ADAPTER} WHERE a.id = ?`, [id]);
      return row && toAdapter(row);
    },

    /** In import order. */
    list(filter: AdapterFilter = {}): Adapter[] {
      const w = where(filter);
      const params = { ...w.params, limit: filter.limit ?? -1, offset: filter.offset ?? 0 };
      const sql = `${SELECT_ADAPTER}${w.sql} ORDER BY a.rowid LIMIT @limit OFFSET @offset`;
      return db.all<AdapterRow>(`list adapters (${describeFilter(filter)})`, sql, params).map(toAdapter);
    },

    count(filter: Omit<AdapterFilter, 'limit' | 'offset'> = {}): number {
      const w = where(filter);
      return db.get<{ n: number }>(`count adapters (${describeFilter(filter)})`, `SELECT count(*) AS n FROM adapters a${w.sql}`, w.params)!.n;
    },

    /** The adapter already imported from these bytes (and index) for this base, if any. */
    findBySource(modelId: string, sha256: string, index: number | null): Adapter | undefined {
      const row = db.get<AdapterRow>(
        `find adapter by source ${sha256.slice(0, 12)}#${index ?? ''}`,
        `${SELECT_ADAPTER} WHERE a.model_id = ? AND a.source_sha256 = ? AND ifnull(a.source_index, -1) = ?`,
        [modelId, sha256, index ?? -1],
      );
      return row && toAdapter(row);
    },

    insert(a: NewAdapter): Adapter {
      db.transaction(null, () => insertOne(a));
      return store.get(a.id)!;
    },

    /**
     * A whole released experiment (thousands of diffs) in one transaction with prepared
     * statements: all rows or none. Returns how many were inserted.
     */
    insertMany(adapters: readonly NewAdapter[]): number {
      db.transaction(`insert ${adapters.length} adapters`, () => adapters.forEach(insertOne));
      return adapters.length;
    },

    update(id: string, patch: AdapterPatch): Adapter {
      const columns: Record<keyof AdapterPatch, string> = {
        rank: 'rank', label: 'label', description: 'description', trigger: 'trigger', split: 'split', experiment: 'experiment',
      };
      const keys = (Object.keys(patch) as (keyof AdapterPatch)[]).filter((k) => k in columns && patch[k] !== undefined);
      if (keys.length > 0) {
        const set = keys.map((k) => `${columns[k]} = @${k}`).join(', ');
        const params = Object.fromEntries([['id', id], ...keys.map((k) => [k, patch[k]])]);
        db.run(`update adapter '${id}'`, `UPDATE adapters SET ${set} WHERE id = @id`, params);
      }
      return store.get(id) ?? notFound(`update adapter '${id}'`);
    },

    /** The file was found again elsewhere, or re-read after a change the user accepted. */
    setSource(id: string, source: AdapterSource): void {
      const { changes } = db.run(
        `set source of adapter '${id}'`,
        `UPDATE adapters SET source_path = @path, source_index = @index, source_sha256 = @sha256,
           source_size = @size, source_mtime = @mtime WHERE id = @id`,
        { id, path: source.path, index: source.index, sha256: source.sha256, size: source.size, mtime: Math.trunc(source.mtimeMs) },
      );
      if (changes === 0) notFound(`set source of adapter '${id}'`);
    },

    setTags(id: string, tags: readonly string[]): void {
      db.transaction(`set tags of adapter '${id}'`, () => {
        db.run('clear', 'DELETE FROM adapter_tags WHERE adapter_id = ?', [id]);
        for (const tag of cleanTags(tags)) db.run(`add '${tag}'`, INSERT_TAG, [tag, id]);
      });
    },

    /** Every tag in use, with how many adapters carry it. */
    tags(): { tag: string; count: number }[] {
      return db.all<{ tag: string; count: number }>('list adapter tags', 'SELECT tag, count(*) AS count FROM adapter_tags GROUP BY tag ORDER BY tag');
    },

    /** Refused (SQLITE_CONSTRAINT_FOREIGNKEY) while an eval run uses it. */
    remove(id: string): boolean {
      return db.run(`remove adapter '${id}'`, 'DELETE FROM adapters WHERE id = ?', [id]).changes > 0;
    },
  };
  return store;
}

function notFound(what: string): never {
  throw new CatalogError(`${what}: no such adapter`);
}
