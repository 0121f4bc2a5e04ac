// The agent auditor's steps of an eval item (migration 004): one row per query the agent made,
// with the answers it got, the guess it stated after it and the judge's grade of that guess.
import type { Db } from './db.ts';

export interface AgentStep {
  itemId: number;
  step: number; // queries used so far, from 1
  tool: 'ask' | 'dit';
  prompt: string;
  baseAnswer: string | null; // null for the DIT tool
  finetunedAnswer: string;
  guess: string;
  score: number; // 1..5
  judgeModel: string;
  judgeRaw: string | null;
}

interface Row {
  item_id: number;
  step: number;
  tool: 'ask' | 'dit';
  prompt: string;
  base_answer: string | null;
  finetuned_answer: string;
  guess: string;
  score: number;
  judge_model: string;
  judge_raw: string | null;
}

const toStep = (r: Row): AgentStep => ({
  itemId: r.item_id,
  step: r.step,
  tool: r.tool,
  prompt: r.prompt,
  baseAnswer: r.base_answer,
  finetunedAnswer: r.finetuned_answer,
  guess: r.guess,
  score: r.score,
  judgeModel: r.judge_model,
  judgeRaw: r.judge_raw,
});

export function agentStepStore(db: Db) {
  return {
    /** Replaces an item's steps (call inside the transaction that finishes the item). */
    setForItem(itemId: number, steps: Omit<AgentStep, 'itemId'>[]): void {
      db.run(`clear the agent steps of eval item ${itemId}`, 'DELETE FROM eval_agent_steps WHERE item_id = ?', [itemId]);
      for (const s of steps) {
        db.run(
          `record agent step ${s.step} of eval item ${itemId}`,
          `INSERT INTO eval_agent_steps (item_id, step, tool, prompt, base_answer, finetuned_answer, guess, score, judge_model, judge_raw)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          [itemId, s.step, s.tool, s.prompt, s.baseAnswer, s.finetunedAnswer, s.guess, s.score, s.judgeModel, s.judgeRaw],
        );
      }
    },

    forRun(runId: number): AgentStep[] {
      return db
        .all<Row>(
          `list the agent steps of eval run ${runId}`,
          'SELECT s.* FROM eval_agent_steps s JOIN eval_items i ON i.id = s.item_id WHERE i.run_id = ? ORDER BY s.item_id, s.step',
          [runId],
        )
        .map(toStep);
    },
  };
}
