// Works through a run's pending items, a batch at a time: the next items of one method, their
// prompts as engine rows (a different diff in every row), greedy answers, then grading (the
// lexical score always, the LLM judge when the run has one). An item's answer, its grades and what
// it asked are written in ONE transaction, and only while the item is still pending: a run killed
// at any point resumes with nothing done twice and every item graded once.
import type { EvalMethod } from '../../../shared/api.ts';
import type { EvalItem } from '../../catalog/index.ts';
import type { Ctx } from '../context.ts';
import { judgeGuesses, judgeHeadlines, judgeSimilarity, type Judge, type JudgeGrade } from '../grading/judge.ts';
import { lexicalScore } from '../grading/lexical.ts';
import { storyHeadlinePrompt, twentyQuestionsPrompt } from '../grading/rubric.ts';
import { Cancelled, type EvalEngine, type EvalRow } from './engine.ts';
import { auditItems, type AgentClient, type AuditedItem } from './agent-run.ts';
import { itemPrompts, itemStack, METHODS, TWENTY_QUESTIONS, TWENTY_Q_MAX_TOKENS } from './methods.ts';
import type { RunSettings } from './plan.ts';

/** Batches in a row that fail before the run gives up (a server down, a model missing). */
const MAX_FAILED_BATCHES = 3;

export interface Planned {
  item: EvalItem;
  label: string | null;
  prompts: string[];
  stack: EvalRow['stack'];
}

export interface Answered extends Planned {
  answer: string;
  prompt: string;
  transcript: { question: string; answer: string }[] | null;
}

export class EvalRunner {
  private cancelled = false;

  constructor(
    private readonly ctx: Ctx,
    private readonly runId: number,
    private readonly engine: EvalEngine,
    private readonly judge: Judge | null,
    private readonly onBatch: (method: EvalMethod | null) => void,
    private readonly agent: AgentClient | null = null,
  ) {}

  cancel(): void {
    this.cancelled = true;
    this.engine.cancel();
  }

  /** Until no item is pending ('done'), a cancel ('paused'), or repeated failures (throws). */
  async run(): Promise<'done' | 'paused'> {
    const { catalog } = this.ctx;
    const run = catalog.evals.getRun(this.runId)!;
    const settings = run.settings as unknown as RunSettings;
    let failedBatches = 0;
    while (!this.cancelled) {
      const pending = catalog.evals.pending(this.runId, settings.batch * 2 + 1);
      if (pending.length === 0) return 'done';
      const method = pending[0].method as EvalMethod;
      const perItem = METHODS[method].twentyQuestions ? TWENTY_QUESTIONS.length : METHODS[method].agent ? 2 : 1; // an agent's query: base and finetuned rows
      const end = pending.findIndex((i) => i.method !== method);
      const items = (end < 0 ? pending : pending.slice(0, end)).slice(0, Math.max(1, Math.floor(settings.batch / perItem)));
      this.onBatch(method);
      try {
        await this.work(items, method, run.ditAdapterId, settings);
        failedBatches = 0;
      } catch (err) {
        if (err instanceof Cancelled || this.cancelled) break;
        const message = (err as Error).message.split('\n')[0];
        for (const it of items) catalog.evals.failItem(it.id, message);
        if (++failedBatches >= MAX_FAILED_BATCHES) throw new Error(`${MAX_FAILED_BATCHES} batches failed in a row, the last with: ${message}`);
      }
      this.onBatch(method);
    }
    return 'paused';
  }

  private plan(items: EvalItem[], method: EvalMethod, ditId: string | null, s: RunSettings): Planned[] {
    const planned: Planned[] = [];
    for (const item of items) {
      const diff = this.ctx.catalog.adapters.get(item.adapterId);
      try {
        if (!diff) throw new Error(`adapter ${item.adapterId} is no longer in the catalog`);
        const prompts = itemPrompts({ adapterId: diff.id, trigger: diff.trigger, method, question: s.question, customQuestion: s.customQuestion, seed: s.seed });
        planned.push({ item, label: diff.label, prompts, stack: itemStack(method, diff.id, ditId) });
      } catch (err) {
        this.ctx.catalog.evals.failItem(item.id, (err as Error).message);
      }
    }
    return planned;
  }

  private async work(items: EvalItem[], method: EvalMethod, ditId: string | null, s: RunSettings): Promise<void> {
    const planned = this.plan(items, method, ditId, s);
    if (planned.length === 0) return;
    if (METHODS[method].agent) return this.saveAudits(await auditItems({ planned, method, ditId, settings: s, engine: this.engine, agent: this.agent, judge: this.judge, cancelled: () => this.cancelled }));
    const rows = planned.flatMap((p) => p.prompts.map((prompt) => ({ prompt, stack: p.stack })));
    const maxTokens = METHODS[method].twentyQuestions ? TWENTY_Q_MAX_TOKENS : s.maxTokens;
    const texts: string[] = [];
    for (let i = 0; i < rows.length; i += s.batch) texts.push(...(await this.engine.answer(rows.slice(i, i + s.batch), maxTokens)));

    let next = 0;
    let answered: Answered[] = planned.map((p) => {
      const answers = texts.slice(next, (next += p.prompts.length));
      if (!METHODS[method].twentyQuestions) return { ...p, answer: answers[0], prompt: p.prompts[0], transcript: null };
      const transcript = p.prompts.map((question, k) => ({ question, answer: answers[k] }));
      return { ...p, answer: '', prompt: twentyQuestionsPrompt(transcript), transcript };
    });
    if (METHODS[method].twentyQuestions) {
      if (!this.judge) throw new Error('20 questions needs an LLM judge');
      const guesses = await judgeGuesses(this.judge, answered.map((a) => a.transcript!));
      answered = answered.map((a, i) => ({ ...a, answer: guesses[i].guess }));
    }
    if (METHODS[method].story) {
      // the story is the transcript; the judge's headline for it is the answer graded
      if (!this.judge) throw new Error('generated story needs an LLM judge');
      const headlines = await judgeHeadlines(this.judge, answered.map((a) => a.answer));
      answered = answered.map((a, i) => ({ ...a, answer: headlines[i].guess, prompt: storyHeadlinePrompt(a.answer), transcript: [{ question: a.prompt, answer: a.answer }] }));
    }
    if (this.cancelled) throw new Cancelled();
    const labelled = answered.filter((a) => a.label !== null);
    const judged = new Map<number, JudgeGrade>();
    if (this.judge) {
      const grades = await judgeSimilarity(this.judge, labelled.map((a) => ({ answer: a.answer, label: a.label! })));
      labelled.forEach((a, i) => judged.set(a.item.id, grades[i]));
    }
    this.save(answered, judged);
  }

  /** Audited items: the final guess is the answer (graded as any), every step with its graded guess. */
  private saveAudits(audited: AuditedItem[]): void {
    if (this.cancelled) throw new Cancelled();
    const judged = new Map(audited.filter((a) => a.finalGrade).map((a) => [a.item.id, a.finalGrade!]));
    this.save(audited, judged, (a) => this.ctx.catalog.agentSteps.setForItem(a.item.id, (a as AuditedItem).steps));
  }

  private save(answered: Answered[], judged: Map<number, JudgeGrade>, more?: (a: Answered) => void): void {
    const { catalog } = this.ctx;
    catalog.transaction(`record ${answered.length} answers of eval run ${this.runId}`, () => {
      for (const a of answered) {
        const lexical = a.label === null ? null : lexicalScore(a.answer, a.label);
        const judge = judged.get(a.item.id);
        const primary = judge ? { score: judge.score, gradeMethod: 'judge' as const } : lexical ? { score: lexical.score, gradeMethod: 'lexical' as const } : {};
        if (!catalog.evals.finishItem(a.item.id, { answer: a.answer, ...primary })) continue; // done by another worker
        catalog.evals.setDetail({ itemId: a.item.id, prompt: a.prompt, transcript: a.transcript });
        more?.(a);
        if (lexical) {
          const note = `${Math.round(lexical.recall * 100)}% of the label's content words${lexical.exact ? ', exact topic' : ''}`;
          catalog.evalGrades.set({ itemId: a.item.id, method: 'lexical', score: lexical.score, reference: a.label, note });
        }
        if (judge && this.judge) {
          const note = judge.parsed ? null : 'the judge did not answer with a number: scored 1';
          catalog.evalGrades.set({ itemId: a.item.id, method: 'judge', score: judge.score, reference: a.label, judgeModel: this.judge.name, rawAnswer: judge.raw, note });
        }
      }
    });
  }
}
