// Grades on the paper's 1-5 similarity scale, by a person, by an LLM judge, or by the offline
// lexical score: of replies (grades) and of eval items (eval_grades), two tables of one shape
// served by one set of statements. One grade per grader and owner; grading again replaces it.
import type { Db } from './db.ts';

export type GradeMethod = 'human' | 'judge' | 'lexical';

/** What a grade says, whichever it grades (a reply: grades; an eval item: eval_grades). */
interface GradeFields {
  id: number;
  method: GradeMethod;
  score: number; // 1..5
  note: string | null; // a person's note, or the judge's rationale
  reference: string | null; // the label the answer was compared with, as it was then
  judgeModel: string | null; // set exactly when method is 'judge'
  rawAnswer: string | null; // the judge's whole reply
  createdAt: string;
}

/** A reply's grade. */
export type Grade = GradeFields & { messageId: number };
/** An eval item's grade. */
export type EvalGrade = GradeFields & { itemId: number };

type Given = Pick<GradeFields, 'method' | 'score'> & Partial<Pick<GradeFields, 'note' | 'reference' | 'judgeModel' | 'rawAnswer'>>;
export type NewGrade = Given & { messageId: number };
export type NewEvalGrade = Given & { itemId: number };

interface GradeRow {
  id: number;
  owner_id: number; // message_id or item_id, selected under one name
  method: GradeMethod;
  score: number;
  note: string | null;
  reference: string | null;
  judge_model: string | null;
  raw_answer: string | null;
  created_at: string;
}

const fields = (r: GradeRow): GradeFields => ({
  id: r.id,
  method: r.method,
  score: r.score,
  note: r.note,
  reference: r.reference,
  judgeModel: r.judge_model,
  rawAnswer: r.raw_answer,
  createdAt: r.created_at,
});

/**
 * The statements of one grades table: replies' (grades, by message_id) or eval items'
 * (eval_grades, by item_id). One grade per grader (human, lexical, or one judge model) and owner;
 * grading again replaces it.
 */
function gradesTable(db: Db, table: 'grades' | 'eval_grades', owner: 'message_id' | 'item_id') {
  // `p`: the table's alias in a query, '' where there is none
  const columns = (p: string) => ['id', `${owner} AS owner_id`, 'method', 'score', 'note', 'reference', 'judge_model', 'raw_answer', 'created_at'].map((c) => p + c).join(', ');
  return {
    set(ownerId: number, what: string, g: Given): GradeRow {
      return db.get<GradeRow>(
        `${what} (${g.method}${g.judgeModel ? ` ${g.judgeModel}` : ''})`,
        `INSERT INTO ${table} (${owner}, method, score, note, reference, judge_model, raw_answer)
         VALUES (@ownerId, @method, @score, @note, @reference, @judgeModel, @rawAnswer)
         ON CONFLICT (${owner}, method, ifnull(judge_model, '')) DO UPDATE SET
           score = excluded.score, note = excluded.note, reference = excluded.reference,
           raw_answer = excluded.raw_answer, created_at = excluded.created_at
         RETURNING ${columns('')}`,
        {
          ownerId,
          method: g.method,
          score: g.score,
          note: g.note ?? null,
          reference: g.reference ?? null,
          judgeModel: g.judgeModel ?? null,
          rawAnswer: g.rawAnswer ?? null,
        },
      )!;
    },
    /** Rows of this table; `from` joins and filters (`g` is this table). */
    list(what: string, from: string, params: unknown[] = []): GradeRow[] {
      return db.all<GradeRow>(what, `SELECT ${columns('g.')} ${from}`, params);
    },
  };
}

export function gradeStore(db: Db) {
  const t = gradesTable(db, 'grades', 'message_id');
  const toGrade = (r: GradeRow): Grade => ({ ...fields(r), messageId: r.owner_id });
  return {
    /** Sets the grade of one grader (human, lexical, or one judge model) for a message. */
    set(g: NewGrade): Grade {
      return toGrade(t.set(g.messageId, `grade message ${g.messageId}`, g));
    },

    forMessage(messageId: number): Grade[] {
      return t.list(`list grades of message ${messageId}`, 'FROM grades g WHERE g.message_id = ? ORDER BY g.id', [messageId]).map(toGrade);
    },

    /** Every grade of every message of a conversation (for export). */
    forConversation(conversationId: number): Grade[] {
      return t
        .list(`list grades of conversation ${conversationId}`, 'FROM grades g JOIN messages m ON m.id = g.message_id WHERE m.conversation_id = ? ORDER BY g.message_id, g.id', [conversationId])
        .map(toGrade);
    },

    remove(id: number): boolean {
      return db.run(`remove grade ${id}`, 'DELETE FROM grades WHERE id = ?', [id]).changes > 0;
    },
  };
}

/** Grades of eval items. The runner writes an item's answer and grades in one transaction. */
export function evalGradeStore(db: Db) {
  const t = gradesTable(db, 'eval_grades', 'item_id');
  const toGrade = (r: GradeRow): EvalGrade => ({ ...fields(r), itemId: r.owner_id });
  return {
    /** One grader's grade of an item; grading again replaces it. */
    set(g: NewEvalGrade): EvalGrade {
      return toGrade(t.set(g.itemId, `grade eval item ${g.itemId}`, g));
    },

    forItem(itemId: number): EvalGrade[] {
      return t.list(`list grades of eval item ${itemId}`, 'FROM eval_grades g WHERE g.item_id = ? ORDER BY g.id', [itemId]).map(toGrade);
    },

    /** Every grade of every item of a run, by item. */
    forRun(runId: number): EvalGrade[] {
      return t
        .list(`list grades of eval run ${runId}`, 'FROM eval_grades g JOIN eval_items i ON i.id = g.item_id WHERE i.run_id = ? ORDER BY g.item_id, g.id', [runId])
        .map(toGrade);
    },

    /** Every grade of every run (agreement over everything). */
    all(): EvalGrade[] {
      return t.list('list all eval grades', 'FROM eval_grades g ORDER BY g.item_id, g.id').map(toGrade);
    },
  };
}
