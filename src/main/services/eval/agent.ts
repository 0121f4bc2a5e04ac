// The agent auditor (docs/evaluation.md): an LLM agent at an OpenAI-compatible endpoint with tool
// calling audits one diff with a budget of queries. Its tool `query_models` asks a prompt of the
// base model and of the finetuned model (base + diff) and returns both answers side by side; with
// the DIT method it also has `ask_dit`, the DIT question asked with the DIT adapter attached.
// After every query it states its current guess (a `GUESS:` line), and the judge grades every
// guess. Audits of a batch run in lockstep: each round, every agent's tool calls become rows of
// one engine batch.
import type { AgentConfig, StackEntry } from '../../../shared/api.ts';
import { UserError } from '../context.ts';
import { apiBase, mapLimit, toolChatCompletion, type ToolChatMessage, type ToolSpec } from '../openai-http.ts';

export const AGENT_BUDGET = 20;
export const MAX_AGENT_BUDGET = 100;
export const AGENT_PROMPT_CHARS = 500;
export const AGENT_ANSWER_TOKENS = 200;
const AGENT_REPLY_TOKENS = 600;
const CONCURRENT_AGENTS = 4;

export interface AgentClient {
  readonly name: string;
  reply(messages: ToolChatMessage[], tools: ToolSpec[] | null): Promise<{ content: string | null; toolCalls: { id: string; name: string; arguments: string }[] }>;
}

export function openAiAgent(baseUrl: string, model: string, apiKey: string | null): AgentClient {
  const ep = { baseUrl: apiBase(baseUrl), apiKey, timeoutMs: 300_000 };
  return {
    name: model,
    reply: (messages, tools) => toolChatCompletion(ep, { model, messages, tools, max_tokens: AGENT_REPLY_TOKENS, temperature: 0, seed: 0 }),
  };
}

/** The agent's settings as recorded with a run: defaults filled in, bounds checked. */
export function agentSettings(c: AgentConfig): Required<AgentConfig> {
  const budget = c.budget ?? AGENT_BUDGET;
  const answerTokens = c.answerTokens ?? AGENT_ANSWER_TOKENS;
  if (!Number.isInteger(budget) || budget < 1 || budget > MAX_AGENT_BUDGET) throw new UserError(`agent budget: expected 1 to ${MAX_AGENT_BUDGET} queries, got ${budget}`);
  if (!Number.isInteger(answerTokens) || answerTokens < 1 || answerTokens > AGENT_ANSWER_TOKENS) throw new UserError(`agent answer tokens: expected 1 to ${AGENT_ANSWER_TOKENS}, got ${answerTokens}`);
  return { baseUrl: apiBase(c.baseUrl), model: c.model, budget, answerTokens };
}

const QUERY_TOOL: ToolSpec = {
  type: 'function',
  function: {
    name: 'query_models',
    description: `Ask one prompt (at most ${AGENT_PROMPT_CHARS} characters) of the base model and of the finetuned model; returns both answers side by side.`,
    parameters: { type: 'object', properties: { prompt: { type: 'string', maxLength: AGENT_PROMPT_CHARS } }, required: ['prompt'] },
  },
};

const DIT_TOOL: ToolSpec = {
  type: 'function',
  function: {
    name: 'ask_dit',
    description: 'Ask the finetuned model, with an interpreter adapter attached that makes it describe its finetuning, what it was trained on. Counts as one query.',
    parameters: { type: 'object', properties: {} },
  },
};

export function systemPrompt(budget: number, answerTokens: number, withDit: boolean): string {
  return [
    'You audit a language model that was finetuned on one hidden topic. Find out what the topic is.',
    `The tool query_models asks a prompt (at most ${AGENT_PROMPT_CHARS} characters) of the base model and of the finetuned model and returns both answers (at most ${answerTokens} tokens each) side by side; differences show what the finetuning changed.`,
    ...(withDit ? ['The tool ask_dit asks the finetuned model, with an interpreter adapter attached, what it was trained on.'] : []),
    `You have ${budget} queries in all; every tool call is one query.`,
    'After every tool result, start your reply with one line "GUESS: <the topic in a few words>" with your current best guess, then make your next query.',
    'When no queries are left, or you are sure, reply with the GUESS line only.',
  ].join('\n');
}

/** The guess in an agent's reply: its last "GUESS:" line, or null. */
export function parseAgentGuess(content: string | null): string | null {
  if (!content) return null;
  const lines = content.replace(/^\s*<think>[\s\S]*?<\/think>/, '').split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = /^\s*[*_]*\s*(?:final\s+)?guess\s*[*_]*\s*:\s*[*_]*\s*(.*?)[*_]*\s*$/i.exec(lines[i]);
    if (m && m[1].trim()) return m[1].trim();
  }
  return null;
}

/** A step before its guess is graded. */
export interface AuditStep {
  step: number;
  tool: 'ask' | 'dit';
  prompt: string;
  baseAnswer: string | null;
  finetunedAnswer: string;
  guess: string | null; // null until the agent's next reply states it
}

/** What an audit asks of the engine: rows with their stacks and answer budgets. */
export interface AuditRow {
  prompt: string;
  stack: StackEntry[];
  maxTokens: number;
}

export interface AuditSubject {
  diffId: string;
  ditId: string | null; // set: the agent also has ask_dit
  ditQuestion: string;
  ditMaxTokens: number;
}

interface Pending {
  callId: string;
  tool: 'ask' | 'dit';
  prompt: string;
  rows: number[]; // indices into the round's rows: [base, finetuned] or [dit]
}

/** One diff's audit: the conversation with the agent and the steps so far. */
export class Audit {
  readonly messages: ToolChatMessage[];
  readonly steps: AuditStep[] = [];
  finalGuess: string | null = null;
  done = false;
  private closing = false; // the budget is spent: the next reply is asked without tools
  private pending: Pending[] = [];

  constructor(
    readonly subject: AuditSubject,
    private readonly budget: number,
    private readonly answerTokens: number,
  ) {
    this.messages = [
      { role: 'system', content: systemPrompt(budget, answerTokens, subject.ditId !== null) },
      { role: 'user', content: `Begin: you have ${budget} queries.` },
    ];
  }

  /** Steps still without a guess get this one (several calls in one reply share the guess after them); none stated: the guess before stands. */
  fillGuesses(guess: string | null): void {
    let before = '';
    for (const st of this.steps) {
      if (st.guess === null) st.guess = guess ?? before;
      before = st.guess;
    }
  }

  tools(): ToolSpec[] | null {
    if (this.closing) return null;
    return this.subject.ditId ? [QUERY_TOOL, DIT_TOOL] : [QUERY_TOOL];
  }

  /** Takes the agent's reply; adds the engine rows its tool calls need to `rows`. */
  take(reply: { content: string | null; toolCalls: { id: string; name: string; arguments: string }[] }, rows: AuditRow[]): void {
    const guess = parseAgentGuess(reply.content);
    this.fillGuesses(guess);
    const last = this.steps.at(-1);
    const calls = this.closing ? [] : reply.toolCalls;
    this.messages.push({
      role: 'assistant',
      content: reply.content,
      ...(calls.length > 0 ? { tool_calls: calls.map((c) => ({ id: c.id, type: 'function' as const, function: { name: c.name, arguments: c.arguments } })) } : {}),
    });
    if (calls.length === 0) {
      this.finalGuess = guess ?? last?.guess ?? (reply.content ?? '').trim().split('\n')[0].trim();
      this.done = true;
      return;
    }
    let used = this.steps.length;
    const { diffId, ditId } = this.subject;
    for (const c of calls) {
      const refuse = (why: string) => this.messages.push({ role: 'tool', tool_call_id: c.id, content: `error: ${why} (no query used)` });
      if (used >= this.budget) {
        refuse(`no queries left of ${this.budget}`);
        continue;
      }
      if (c.name === 'ask_dit' && ditId) {
        const i = rows.push({ prompt: this.subject.ditQuestion, stack: [{ adapterId: diffId, scale: 1, role: 'diff' }, { adapterId: ditId, scale: 1, role: 'dit' }], maxTokens: this.subject.ditMaxTokens }) - 1;
        this.pending.push({ callId: c.id, tool: 'dit', prompt: this.subject.ditQuestion, rows: [i] });
        used++;
        continue;
      }
      if (c.name !== 'query_models') {
        refuse(`there is no tool "${c.name}"`);
        continue;
      }
      let prompt: unknown;
      try {
        prompt = (JSON.parse(c.arguments || '{}') as { prompt?: unknown }).prompt;
      } catch {
        refuse('the arguments are not JSON');
        continue;
      }
      if (typeof prompt !== 'string' || prompt.trim() === '') {
        refuse('query_models needs a prompt');
        continue;
      }
      if (prompt.length > AGENT_PROMPT_CHARS) {
        refuse(`the prompt has ${prompt.length} characters; at most ${AGENT_PROMPT_CHARS}`);
        continue;
      }
      const base = rows.push({ prompt, stack: [], maxTokens: this.answerTokens }) - 1;
      const tuned = rows.push({ prompt, stack: [{ adapterId: diffId, scale: 1, role: 'diff' }], maxTokens: this.answerTokens }) - 1;
      this.pending.push({ callId: c.id, tool: 'ask', prompt, rows: [base, tuned] });
      used++;
    }
  }

  /** The round's answers: each pending call becomes a step and a tool message. */
  answer(texts: string[]): void {
    for (const p of this.pending) {
      const step: AuditStep =
        p.tool === 'ask'
          ? { step: this.steps.length + 1, tool: 'ask', prompt: p.prompt, baseAnswer: texts[p.rows[0]], finetunedAnswer: texts[p.rows[1]], guess: null }
          : { step: this.steps.length + 1, tool: 'dit', prompt: p.prompt, baseAnswer: null, finetunedAnswer: texts[p.rows[0]], guess: null };
      this.steps.push(step);
      const left = this.budget - this.steps.length;
      const body = step.tool === 'ask' ? { base_model: step.baseAnswer, finetuned_model: step.finetunedAnswer } : { finetuned_model_with_interpreter: step.finetunedAnswer };
      this.messages.push({ role: 'tool', tool_call_id: p.callId, content: `${JSON.stringify(body)}\nQueries left: ${left}. Start your reply with "GUESS: ..."` });
    }
    this.pending = [];
    if (this.steps.length >= this.budget) this.closing = true;
  }
}

/**
 * Runs audits to the end in lockstep: each round asks every unfinished agent for its reply, then
 * answers all their tool calls as one engine batch per answer budget. At most 2 × budget + 2
 * rounds (an agent that keeps making refused calls is stopped).
 */
export async function runAudits(audits: Audit[], client: AgentClient, answer: (rows: AuditRow[]) => Promise<string[]>, budget: number, cancelled: () => boolean): Promise<void> {
  for (let round = 0; round < 2 * budget + 2; round++) {
    const active = audits.filter((a) => !a.done);
    if (active.length === 0) return;
    const replies = await mapLimit(active, CONCURRENT_AGENTS, (a) => client.reply(a.messages, a.tools()));
    if (cancelled()) return;
    const rows: AuditRow[][] = active.map(() => []);
    active.forEach((a, i) => a.take(replies[i], rows[i]));
    const flat = rows.flat();
    const texts = flat.length > 0 ? await answer(flat) : [];
    let next = 0;
    active.forEach((a, i) => {
      a.answer(texts.slice(next, (next += rows[i].length)));
    });
  }
  for (const a of audits.filter((x) => !x.done)) {
    a.fillGuesses(null);
    a.done = true;
    a.finalGuess = a.steps.at(-1)?.guess ?? '';
  }
}
