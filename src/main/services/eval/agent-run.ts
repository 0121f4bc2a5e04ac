// A batch of agent-auditor items (agent.ts) from plan to what the runner saves: the audits run in
// lockstep on the run's engine, then the judge grades every guess of every audit in one go. The
// item's answer is the agent's final guess, graded as any answer; its steps keep each guess's grade.
import type { EvalMethod } from '../../../shared/api.ts';
import type { AgentStep } from '../../catalog/index.ts';
import { judgeSimilarity, type Judge, type JudgeGrade } from '../grading/judge.ts';
import { Audit, runAudits, type AgentClient, type AuditRow } from './agent.ts';
import type { EvalEngine } from './engine.ts';
import { METHODS } from './methods.ts';
import type { RunSettings } from './plan.ts';
import type { Answered, Planned } from './runner.ts';

export type { AgentClient } from './agent.ts';

export interface AuditedItem extends Answered {
  steps: Omit<AgentStep, 'itemId'>[];
  finalGrade: JudgeGrade | null;
}

export interface AuditBatch {
  planned: Planned[];
  method: EvalMethod;
  ditId: string | null;
  settings: RunSettings;
  engine: EvalEngine;
  agent: AgentClient | null;
  judge: Judge | null;
  cancelled: () => boolean;
}

/** Engine rows grouped by answer budget, each group in batches of the run's size, answers in row order. */
async function answerRows(engine: EvalEngine, rows: AuditRow[], batch: number): Promise<string[]> {
  const out = new Array<string>(rows.length);
  const budgets = [...new Set(rows.map((r) => r.maxTokens))];
  for (const maxTokens of budgets) {
    const idx = rows.map((r, i) => (r.maxTokens === maxTokens ? i : -1)).filter((i) => i >= 0);
    for (let k = 0; k < idx.length; k += batch) {
      const part = idx.slice(k, k + batch);
      const texts = await engine.answer(part.map((i) => ({ prompt: rows[i].prompt, stack: rows[i].stack })), maxTokens);
      part.forEach((i, j) => (out[i] = texts[j]));
    }
  }
  return out;
}

export async function auditItems(b: AuditBatch): Promise<AuditedItem[]> {
  const s = b.settings;
  if (!b.agent || !s.agent) throw new Error(`"${METHODS[b.method].title}" needs an agent endpoint`);
  if (!b.judge) throw new Error('the agent auditor needs an LLM judge to grade its guesses');
  const unlabelled = b.planned.find((p) => p.label === null);
  if (unlabelled) throw new Error(`diff ${unlabelled.item.adapterId} has no label to grade the agent's guesses against`);
  const { budget, answerTokens } = s.agent;
  const audits = b.planned.map(
    (p) =>
      new Audit(
        { diffId: p.item.adapterId, ditId: METHODS[b.method].withDit ? b.ditId : null, ditQuestion: s.question, ditMaxTokens: s.maxTokens },
        budget,
        answerTokens,
      ),
  );
  await runAudits(audits, b.agent, (rows) => answerRows(b.engine, rows, s.batch), budget, b.cancelled);
  if (b.cancelled()) return [];

  // every distinct guess of an item graded once: its steps' guesses and its final guess
  const pairs: { answer: string; label: string }[] = [];
  const index = new Map<string, number>();
  const want = (p: Planned, guess: string) => {
    const key = `${p.item.id}\0${guess}`;
    if (guess.trim() !== '' && !index.has(key)) index.set(key, pairs.push({ answer: guess, label: p.label! }) - 1);
  };
  audits.forEach((a, i) => {
    for (const st of a.steps) want(b.planned[i], st.guess ?? '');
    want(b.planned[i], a.finalGuess ?? '');
  });
  const grades = await judgeSimilarity(b.judge, pairs);
  const noGuess: JudgeGrade = { score: 1, raw: '', parsed: false };
  const gradeOf = (p: Planned, guess: string) => (guess.trim() === '' ? noGuess : grades[index.get(`${p.item.id}\0${guess}`)!]);
  const judgeName = b.judge.name;
  const system = audits[0]?.messages[0].content ?? '';

  return audits.map((a, i) => {
    const p = b.planned[i];
    const final = a.finalGuess ?? '';
    return {
      ...p,
      prompt: system ?? '',
      answer: final,
      transcript: null,
      finalGrade: gradeOf(p, final),
      steps: a.steps.map((st) => {
        const g = gradeOf(p, st.guess ?? '');
        return { step: st.step, tool: st.tool, prompt: st.prompt, baseAnswer: st.baseAnswer, finetunedAnswer: st.finetunedAnswer, guess: st.guess ?? '', score: g.score, judgeModel: judgeName, judgeRaw: g.raw || null };
      }),
    };
  });
}
