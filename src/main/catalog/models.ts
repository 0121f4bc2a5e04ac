// Base models in the library: one row per folder under <home>/library/models.
// The row keeps the folder's manifest.json whole. Its type `M` is the engine's, which the catalog
// does not import (services open the catalog as Catalog<Manifest>): the catalog reads none of it.
import type { Db } from './db.ts';

export interface Model<M = unknown> {
  id: string; // the library id (folder name)
  name: string;
  arch: string;
  precision: string;
  libraryDir: string;
  sourcePath: string;
  sourceSha256: string;
  manifest: M;
  demo: boolean; // imported from resources/demo
  standIn: boolean; // random weights standing in for the trained demo: its answers mean nothing
  createdAt: string;
}

export type NewModel<M = unknown> = Omit<Model<M>, 'createdAt' | 'demo' | 'standIn'> & { demo?: boolean; standIn?: boolean };

interface ModelRow {
  id: string;
  name: string;
  arch: string;
  precision: string;
  library_dir: string;
  source_path: string;
  source_sha256: string;
  manifest: string;
  demo: number;
  stand_in: number;
  created_at: string;
}

const toModel = <M>(r: ModelRow): Model<M> => ({
  id: r.id,
  name: r.name,
  arch: r.arch,
  precision: r.precision,
  libraryDir: r.library_dir,
  sourcePath: r.source_path,
  sourceSha256: r.source_sha256,
  manifest: JSON.parse(r.manifest) as M,
  demo: r.demo === 1,
  standIn: r.stand_in === 1,
  createdAt: r.created_at,
});

export function modelStore<M>(db: Db) {
  return {
    list(): Model<M>[] {
      return db.all<ModelRow>('list models', 'SELECT * FROM models ORDER BY created_at, id').map((r) => toModel<M>(r));
    },

    get(id: string): Model<M> | undefined {
      const row = db.get<ModelRow>(`get model '${id}'`, 'SELECT * FROM models WHERE id = ?', [id]);
      return row && toModel<M>(row);
    },

    /** Inserts the model, or replaces the row of a model imported again under the same id. */
    put(m: NewModel<M>): Model<M> {
      const row = db.get<ModelRow>(
        `put model '${m.id}'`,
        `INSERT INTO models (id, name, arch, precision, library_dir, source_path, source_sha256, manifest, demo, stand_in)
         VALUES (@id, @name, @arch, @precision, @libraryDir, @sourcePath, @sourceSha256, @manifest, @demo, @standIn)
         ON CONFLICT (id) DO UPDATE SET
           name = excluded.name, arch = excluded.arch, precision = excluded.precision,
           library_dir = excluded.library_dir, source_path = excluded.source_path,
           source_sha256 = excluded.source_sha256, manifest = excluded.manifest,
           demo = excluded.demo, stand_in = excluded.stand_in
         RETURNING *`,
        {
          id: m.id,
          name: m.name,
          arch: m.arch,
          precision: m.precision,
          libraryDir: m.libraryDir,
          sourcePath: m.sourcePath,
          sourceSha256: m.sourceSha256,
          manifest: JSON.stringify(m.manifest),
          demo: m.demo ? 1 : 0,
          standIn: m.standIn ? 1 : 0,
        },
      );
      return toModel<M>(row!);
    },

    /** Refused (SQLITE_CONSTRAINT_FOREIGNKEY) while adapters, conversations or eval runs use it. */
    remove(id: string): boolean {
      return db.run(`remove model '${id}'`, 'DELETE FROM models WHERE id = ?', [id]).changes > 0;
    },
  };
}
