// Evaluation runs: one base model (+ DIT adapter) asked about many diffs by one or more methods
// (the DIT question, the paper's baselines), each answer graded. Items are the unit of work and
// of resumption: (run, adapter, method) is unique, and only 'pending' items are ever worked on.
import { CatalogError, NOW, type Db } from './db.ts';
import type { GradeMethod } from './grades.ts';
import type { Split } from './adapters.ts';

export type EvalRunStatus = 'running' | 'paused' | 'done' | 'failed';
export type EvalItemStatus = 'pending' | 'done' | 'failed';
type JsonObject = Record<string, unknown>;

export interface EvalRun {
  id: number;
  modelId: string;
  ditAdapterId: string | null; // null: baselines only
  methods: string[]; // e.g. ['dit', 'base-question', 'base-question-trigger']
  selection: JsonObject; // which diffs, as the user chose them (the eval service's shape)
  settings: JsonObject; // question, max tokens, judge ... (the eval service's shape)
  status: EvalRunStatus;
  error: string | null;
  createdAt: string;
  finishedAt: string | null;
}

export type NewEvalRun = Pick<EvalRun, 'modelId' | 'methods' | 'selection'> & Partial<Pick<EvalRun, 'ditAdapterId' | 'settings'>>;

export interface EvalItem {
  id: number;
  runId: number;
  adapterId: string;
  method: string;
  status: EvalItemStatus;
  answer: string | null;
  score: number | null; // 1..5 once graded
  gradeMethod: GradeMethod | null;
  error: string | null;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface EvalProgress {
  total: number;
  pending: number;
  done: number;
  failed: number;
}

/** Mean score per method and split, over the graded items. */
export interface EvalSummaryRow {
  method: string;
  split: Split | null;
  items: number;
  graded: number;
  meanScore: number | null;
}

interface RunRow {
  id: number;
  model_id: string;
  dit_adapter_id: string | null;
  methods: string;
  selection: string;
  settings: string;
  status: EvalRunStatus;
  error: string | null;
  created_at: string;
  finished_at: string | null;
}

interface ItemRow {
  id: number;
  run_id: number;
  adapter_id: string;
  method: string;
  status: EvalItemStatus;
  answer: string | null;
  score: number | null;
  grade_method: GradeMethod | null;
  error: string | null;
  started_at: string | null;
  finished_at: string | null;
}

const toRun = (r: RunRow): EvalRun => ({
  id: r.id,
  modelId: r.model_id,
  ditAdapterId: r.dit_adapter_id,
  methods: JSON.parse(r.methods) as string[],
  selection: JSON.parse(r.selection) as JsonObject,
  settings: JSON.parse(r.settings) as JsonObject,
  status: r.status,
  error: r.error,
  createdAt: r.created_at,
  finishedAt: r.finished_at,
});

const toItem = (r: ItemRow): EvalItem => ({
  id: r.id,
  runId: r.run_id,
  adapterId: r.adapter_id,
  method: r.method,
  status: r.status,
  answer: r.answer,
  score: r.score,
  gradeMethod: r.grade_method,
  error: r.error,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
});

const INSERT_ITEM = 'INSERT INTO eval_items (run_id, adapter_id, method) VALUES (?, ?, ?) ON CONFLICT DO NOTHING';

/** What an item asked: its prompt, and for the 20-questions methods the whole exchange. */
export interface EvalItemDetail {
  itemId: number;
  prompt: string;
  transcript: { question: string; answer: string }[] | null;
}

interface DetailRow {
  item_id: number;
  prompt: string;
  transcript: string | null;
}

const toDetail = (r: DetailRow): EvalItemDetail => ({
  itemId: r.item_id,
  prompt: r.prompt,
  transcript: r.transcript === null ? null : (JSON.parse(r.transcript) as EvalItemDetail['transcript']),
});

export function evalStore(db: Db) {
  const store = {
    /** The run and its items, in one transaction. */
    createRun(r: NewEvalRun, items: readonly { adapterId: string; method: string }[]): EvalRun {
      return db.transaction(`create eval run of ${items.length} items on '${r.modelId}'`, () => {
        const { lastId } = db.run(
          'insert run',
          'INSERT INTO eval_runs (model_id, dit_adapter_id, methods, selection, settings) VALUES (?, ?, ?, ?, ?)',
          [r.modelId, r.ditAdapterId ?? null, JSON.stringify(r.methods), JSON.stringify(r.selection), JSON.stringify(r.settings ?? {})],
        );
        store.addItems(lastId, items);
        return store.getRun(lastId)!;
      });
    },

    /** Adds work to a run; (adapter, method) pairs it already has are skipped. Returns how many were new. */
    addItems(runId: number, items: readonly { adapterId: string; method: string }[]): number {
      return db.transaction(`add ${items.length} items to eval run ${runId}`, () => {
        let added = 0;
        for (const it of items) added += db.run(`add item ${it.adapterId} / ${it.method}`, INSERT_ITEM, [runId, it.adapterId, it.method]).changes;
        return added;
      });
    },

    getRun(id: number): EvalRun | undefined {
      const row = db.get<RunRow>(`get eval run ${id}`, 'SELECT * FROM eval_runs WHERE id = ?', [id]);
      return row && toRun(row);
    },

    /** Newest first. */
    listRuns(filter: { modelId?: string } = {}): EvalRun[] {
      return db
        .all<RunRow>('list eval runs', 'SELECT * FROM eval_runs WHERE ifnull(@modelId, model_id) = model_id ORDER BY id DESC', {
          modelId: filter.modelId ?? null,
        })
        .map(toRun);
    },

    /** 'done' and 'failed' stamp finished_at; 'running' and 'paused' clear it. */
    setStatus(id: number, status: EvalRunStatus, error?: string): void {
      const { changes } = db.run(
        `set eval run ${id} ${status}`,
        `UPDATE eval_runs SET status = @status, error = @error,
           finished_at = CASE WHEN @status IN ('done', 'failed') THEN ${NOW} END WHERE id = @id`,
        { id, status, error: error ?? null },
      );
      if (changes === 0) throw new CatalogError(`set eval run ${id} ${status}: no such run`);
    },

    /** The next items to work on, in the order they were added. */
    pending(runId: number, limit = -1): EvalItem[] {
      return db
        .all<ItemRow>(`list pending items of eval run ${runId}`, "SELECT * FROM eval_items WHERE run_id = ? AND status = 'pending' ORDER BY id LIMIT ?", [runId, limit])
        .map(toItem);
    },

    startItem(id: number): void {
      db.run(`start eval item ${id}`, `UPDATE eval_items SET started_at = ${NOW} WHERE id = ? AND status = 'pending'`, [id]);
    },

    /** Records the answer (and a grade if there is one yet). False if the item was not pending. */
    finishItem(id: number, r: { answer: string; score?: number; gradeMethod?: GradeMethod }): boolean {
      return (
        db.run(
          `finish eval item ${id}`,
          `UPDATE eval_items SET status = 'done', answer = ?, score = ?, grade_method = ?, error = NULL, finished_at = ${NOW}
           WHERE id = ? AND status = 'pending'`,
          [r.answer, r.score ?? null, r.gradeMethod ?? null, id],
        ).changes > 0
      );
    },

    failItem(id: number, error: string): boolean {
      return (
        db.run(`fail eval item ${id}`, `UPDATE eval_items SET status = 'failed', error = ?, finished_at = ${NOW} WHERE id = ? AND status = 'pending'`, [error, id])
          .changes > 0
      );
    },

    /** Grades an answered item (e.g. once the judge has replied). */
    gradeItem(id: number, score: number, gradeMethod: GradeMethod): void {
      const { changes } = db.run(`grade eval item ${id}`, "UPDATE eval_items SET score = ?, grade_method = ? WHERE id = ? AND status = 'done'", [score, gradeMethod, id]);
      if (changes === 0) throw new CatalogError(`grade eval item ${id}: no such answered item`);
    },

    /** Puts failed items back in the queue. Returns how many. */
    retryFailed(runId: number): number {
      return db.run(
        `retry failed items of eval run ${runId}`,
        "UPDATE eval_items SET status = 'pending', error = NULL, started_at = NULL, finished_at = NULL WHERE run_id = ? AND status = 'failed'",
        [runId],
      ).changes;
    },

    items(runId: number, filter: { status?: EvalItemStatus; limit?: number; offset?: number } = {}): EvalItem[] {
      return db
        .all<ItemRow>(
          `list items of eval run ${runId}`,
          'SELECT * FROM eval_items WHERE run_id = @runId AND ifnull(@status, status) = status ORDER BY id LIMIT @limit OFFSET @offset',
          { runId, status: filter.status ?? null, limit: filter.limit ?? -1, offset: filter.offset ?? 0 },
        )
        .map(toItem);
    },

    progress(runId: number): EvalProgress {
      const rows = db.all<{ status: EvalItemStatus; n: number }>(
        `count items of eval run ${runId}`,
        'SELECT status, count(*) AS n FROM eval_items WHERE run_id = ? GROUP BY status',
        [runId],
      );
      const p: EvalProgress = { total: 0, pending: 0, done: 0, failed: 0 };
      for (const r of rows) (p[r.status] = r.n), (p.total += r.n);
      return p;
    },

    summary(runId: number): EvalSummaryRow[] {
      return db.all<EvalSummaryRow>(
        `summarise eval run ${runId}`,
        `SELECT i.method AS method, a.split AS split, count(*) AS items, count(i.score) AS graded, avg(i.score) AS meanScore
         FROM eval_items i JOIN adapters a ON a.id = i.adapter_id
         WHERE i.run_id = ? GROUP BY i.method, a.split ORDER BY i.method, a.split`,
        [runId],
      );
    },

    /** Deletes the run and its items. */
    removeRun(id: number): boolean {
      return db.run(`remove eval run ${id}`, 'DELETE FROM eval_runs WHERE id = ?', [id]).changes > 0;
    },

    /** Which run an item belongs to, and whether it has an answer yet. */
    item(id: number): { id: number; runId: number; adapterId: string; status: string } | undefined {
      return db.get<{ id: number; runId: number; adapterId: string; status: string }>(
        `get eval item ${id}`,
        'SELECT id, run_id AS runId, adapter_id AS adapterId, status FROM eval_items WHERE id = ?',
        [id],
      );
    },

    setDetail(d: EvalItemDetail): void {
      db.run(
        `record what eval item ${d.itemId} asked`,
        `INSERT INTO eval_item_details (item_id, prompt, transcript) VALUES (?, ?, ?)
         ON CONFLICT (item_id) DO UPDATE SET prompt = excluded.prompt, transcript = excluded.transcript`,
        [d.itemId, d.prompt, d.transcript === null ? null : JSON.stringify(d.transcript)],
      );
    },

    detailsForRun(runId: number): EvalItemDetail[] {
      return db
        .all<DetailRow>(
          `list what the items of eval run ${runId} asked`,
          'SELECT d.* FROM eval_item_details d JOIN eval_items i ON i.id = d.item_id WHERE i.run_id = ? ORDER BY d.item_id',
          [runId],
        )
        .map(toDetail);
    },
  };
  return store;
}
