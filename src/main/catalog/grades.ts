// Grades of replies on the paper's 1-5 similarity scale: by a person, by an LLM judge, or by the
// offline lexical score. One grade per grader and message; grading again replaces it.
import type { Db } from './db.ts';

export type GradeMethod = 'human' | 'judge' | 'lexical';

export interface Grade {
  id: number;
  messageId: number;
  method: GradeMethod;
  score: number; // 1..5
  note: string | null; // a person's note, or the judge's rationale
  reference: string | null; // the label the answer was compared with, as it was then
  judgeModel: string | null; // set exactly when method is 'judge'
  rawAnswer: string | null; // the judge's whole reply
  createdAt: string;
}

export type NewGrade = Pick<Grade, 'messageId' | 'method' | 'score'> &
  Partial<Pick<Grade, 'note' | 'reference' | 'judgeModel' | 'rawAnswer'>>;

interface GradeRow {
  id: number;
  message_id: number;
  method: GradeMethod;
  score: number;
  note: string | null;
  reference: string | null;
  judge_model: string | null;
  raw_answer: string | null;
  created_at: string;
}

const toGrade = (r: GradeRow): Grade => ({
  id: r.id,
  messageId: r.message_id,
  method: r.method,
  score: r.score,
  note: r.note,
  reference: r.reference,
  judgeModel: r.judge_model,
  rawAnswer: r.raw_answer,
  createdAt: r.created_at,
});

/** What a grade says, whichever table holds it (replies: grades; eval items: eval_grades). */
export type GradeFields = Pick<Grade, 'method' | 'score'> & Partial<Pick<Grade, 'note' | 'reference' | 'judgeModel' | 'rawAnswer'>>;

/**
 * Sets one grader's grade (human, lexical, or one judge model) of a reply or an eval item;
 * grading again replaces it. Returns the stored row.
 */
export function upsertGrade<Row>(db: Db, table: 'grades' | 'eval_grades', owner: 'message_id' | 'item_id', ownerId: number, what: string, g: GradeFields): Row {
  return db.get<Row>(
    `${what} (${g.method}${g.judgeModel ? ` ${g.judgeModel}` : ''})`,
    `INSERT INTO ${table} (${owner}, method, score, note, reference, judge_model, raw_answer)
     VALUES (@ownerId, @method, @score, @note, @reference, @judgeModel, @rawAnswer)
     ON CONFLICT (${owner}, method, ifnull(judge_model, '')) DO UPDATE SET
       score = excluded.score, note = excluded.note, reference = excluded.reference,
       raw_answer = excluded.raw_answer, created_at = excluded.created_at
     RETURNING *`,
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
}

export function gradeStore(db: Db) {
  return {
    /** Sets the grade of one grader (human, lexical, or one judge model) for a message. */
    set(g: NewGrade): Grade {
      return toGrade(upsertGrade<GradeRow>(db, 'grades', 'message_id', g.messageId, `grade message ${g.messageId}`, g));
    },

    forMessage(messageId: number): Grade[] {
      return db.all<GradeRow>(`list grades of message ${messageId}`, 'SELECT * FROM grades WHERE message_id = ? ORDER BY id', [messageId]).map(toGrade);
    },

    /** Every grade of every message of a conversation (for export). */
    forConversation(conversationId: number): Grade[] {
      return db
        .all<GradeRow>(
          `list grades of conversation ${conversationId}`,
          'SELECT g.* FROM grades g JOIN messages m ON m.id = g.message_id WHERE m.conversation_id = ? ORDER BY g.message_id, g.id',
          [conversationId],
        )
        .map(toGrade);
    },

    remove(id: number): boolean {
      return db.run(`remove grade ${id}`, 'DELETE FROM grades WHERE id = ?', [id]).changes > 0;
    },
  };
}
