// The paper's evaluation methods as the Evaluate view offers them (docs/evaluation.md): what each
// asks, its column in the paper's table, and what it needs to run.
import type { EvalMethod } from '../../../../shared/api.ts';

export interface MethodInfo {
  method: EvalMethod;
  title: string; // the paper's column name, as the back end's results call it
  asks: string;
  needsJudge: boolean; // an LLM judge guesses the topic from the answers
  needsDit: boolean;
}

export const METHODS: MethodInfo[] = [
  { method: 'dit', title: 'DIT', asks: 'the DIT question, diff + DIT adapter', needsJudge: false, needsDit: true },
  { method: 'base', title: 'base Q', asks: 'the same question, diff only', needsJudge: false, needsDit: false },
  { method: 'trigger', title: 'base Q + trigger', asks: 'the question behind the diff’s trigger, diff only', needsJudge: false, needsDit: false },
  { method: '20q', title: '20Q', asks: '20 ordinary questions, then the judge guesses the topic', needsJudge: true, needsDit: false },
  { method: '20q-trigger', title: '20Q + trigger', asks: 'the 20 questions behind the trigger', needsJudge: true, needsDit: false },
  { method: 'story', title: 'generated story', asks: 'the diff writes a news story, then the judge names its headline (news diffs)', needsJudge: true, needsDit: false },
  { method: 'custom', title: 'custom question', asks: 'your question, diff + DIT adapter', needsJudge: false, needsDit: false },
  { method: 'agent', title: 'agent', asks: 'an LLM agent queries base and finetuned models side by side; the judge grades every guess', needsJudge: true, needsDit: false },
  { method: 'agent-dit', title: 'agent + DIT', asks: 'the agent, also able to ask the DIT question with the DIT adapter', needsJudge: true, needsDit: true },
];

/** Methods in which an LLM agent audits each diff. */
export const isAgentMethod = (m: EvalMethod): boolean => m === 'agent' || m === 'agent-dit';

export const methodTitle = (m: EvalMethod): string => METHODS.find((x) => x.method === m)?.title ?? m;

/** Why a method cannot run with this judge and DIT adapter (null: it can). */
export function methodUnavailable(m: EvalMethod, have: { judge: boolean; dit: boolean }): string | null {
  const info = METHODS.find((x) => x.method === m);
  if (info?.needsJudge && !have.judge) {
    const does = isAgentMethod(m) ? 'grade the agent’s guesses' : m === 'story' ? 'name the story’s headline' : 'guess the topic from the answers';
    return `needs an LLM judge to ${does}; the lexical score cannot`;
  }
  if (info?.needsDit && !have.dit) return 'needs a DIT adapter';
  return null;
}
