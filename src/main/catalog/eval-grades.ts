// Grades of eval items (a person's, each judge's, the lexical score) and what each item asked.
// An item's answer and all its grades are written in one transaction by the eval runner, so an
// item is graded exactly once however often its run is interrupted and resumed.
import type { Db } from './db.ts';
import { upsertGrade, type GradeMethod } from './grades.ts';

export interface EvalGrade {
  id: number;
  itemId: number;
  method: GradeMethod;
  score: number; // 1..5
  note: string | null;
  reference: string | null;
  judgeModel: string | null;
  rawAnswer: string | null;
  createdAt: string;
}

export type NewEvalGrade = Pick<EvalGrade, 'itemId' | 'method' | 'score'> & Partial<Pick<EvalGrade, 'note' | 'reference' | 'judgeModel' | 'rawAnswer'>>;

export interface EvalItemDetail {
  itemId: number;
  prompt: string;
  transcript: { question: string; answer: string }[] | null;
}

interface GradeRow {
  id: number;
  item_id: number;
  method: GradeMethod;
  score: number;
  note: string | null;
  reference: string | null;
  judge_model: string | null;
  raw_answer: string | null;
  created_at: string;
}

const toGrade = (r: GradeRow): EvalGrade => ({
  id: r.id,
  itemId: r.item_id,
  method: r.method,
  score: r.score,
  note: r.note,
  reference: r.reference,
  judgeModel: r.judge_model,
  rawAnswer: r.raw_answer,
  createdAt: r.created_at,
});

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

export function evalGradeStore(db: Db) {
  return {
    /** One grader's grade of an item; grading again replaces it. */
    set(g: NewEvalGrade): EvalGrade {
      return toGrade(upsertGrade<GradeRow>(db, 'eval_grades', 'item_id', g.itemId, `grade eval item ${g.itemId}`, g));
    },

    forItem(itemId: number): EvalGrade[] {
      return db.all<GradeRow>(`list grades of eval item ${itemId}`, 'SELECT * FROM eval_grades WHERE item_id = ? ORDER BY id', [itemId]).map(toGrade);
    },

    /** Every grade of every item of a run, by item. */
    forRun(runId: number): EvalGrade[] {
      return db
        .all<GradeRow>(
          `list grades of eval run ${runId}`,
          'SELECT g.* FROM eval_grades g JOIN eval_items i ON i.id = g.item_id WHERE i.run_id = ? ORDER BY g.item_id, g.id',
          [runId],
        )
        .map(toGrade);
    },

    /** Every grade of every run (agreement over everything). */
    all(): EvalGrade[] {
      return db.all<GradeRow>('list all eval grades', 'SELECT * FROM eval_grades ORDER BY item_id, id').map(toGrade);
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
}
