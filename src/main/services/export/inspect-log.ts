// An eval run as an Inspect AI log (the `.eval` format, log schema version 2), which Inspect's
// own log viewer and its `read_eval_log` open: a zip of
//   _journal/start.json        {version, eval, plan}
//   samples/<id>_epoch_1.json  one EvalSample per item (a diff asked one way)
//   _journal/summaries/1.json, summaries.json   EvalSampleSummary of every sample
//   header.json                EvalLog without samples: eval spec, plan, results, stats, status
// Each evaluation method (base Q, DIT, ...) is one scorer: its samples carry that scorer's score
// (the run's grade, 1-5) and its results metrics are the app's table (mean, stderr, 95% CI,
// exact-topic accuracy). Field names follow Inspect's pydantic models (inspect_ai.log._log).
import type { EvalItemView, EvalMethodResult, EvalResults, EvalRunStatus } from '../../../shared/api.ts';
import type { EvalProvenance } from './eval-report.ts';
import { zipArchive, type ZipEntry } from './zip.ts';

export const INSPECT_LOG_VERSION = 2;

type Json = Record<string, unknown>;

const STATUS: Record<EvalRunStatus, 'started' | 'success' | 'cancelled' | 'error'> = {
  running: 'started',
  paused: 'cancelled',
  done: 'success',
  failed: 'error',
};

/** An Inspect model name is provider/model. */
const modelName = (modelId: string) => `diffscope/${modelId}`;

function message(role: 'user' | 'assistant', content: string, source: 'input' | 'generate', model?: string): Json {
  return { role, content, source, ...(model ? { model } : {}) };
}

/** An agent audit as Inspect messages: each query a tool call and its tool result, each guess an assistant turn. */
function auditMessages(i: EvalItemView, agentModel: string): Json[] {
  const out: Json[] = [
    { role: 'system', content: i.prompt ?? '', source: 'input' },
    message('user', 'Begin.', 'input'),
  ];
  let guess = '';
  for (const st of i.agentSteps ?? []) {
    const id = `query-${st.step}`;
    const fn = st.tool === 'ask' ? 'query_models' : 'ask_dit';
    out.push({ role: 'assistant', content: guess ? `GUESS: ${guess}` : '', source: 'generate', model: agentModel, tool_calls: [{ id, function: fn, arguments: st.tool === 'ask' ? { prompt: st.prompt } : {}, type: 'function' }] });
    const body = st.tool === 'ask' ? { base_model: st.baseAnswer, finetuned_model: st.finetunedAnswer } : { finetuned_model_with_interpreter: st.finetunedAnswer };
    out.push({ role: 'tool', content: JSON.stringify(body), source: 'generate', tool_call_id: id, function: fn });
    guess = st.guess;
  }
  if (i.answer !== null) out.push(message('assistant', `GUESS: ${i.answer}`, 'generate', agentModel));
  return out;
}

/** What the item asked and was answered, as chat messages (20 questions: all twenty turns; an agent: its audit). */
function conversation(i: EvalItemView, model: string, agentModel: string): Json[] {
  if (i.agentSteps) return auditMessages(i, agentModel);
  if (i.transcript) return i.transcript.flatMap((t) => [message('user', t.question, 'input'), message('assistant', t.answer, 'generate', model)]);
  const out = [message('user', i.prompt ?? '', 'input')];
  if (i.answer !== null) out.push(message('assistant', i.answer, 'generate', model));
  return out;
}

function score(i: EvalItemView): Json | null {
  if (i.score === null) return null;
  const primary = i.grades.find((g) => g.method === i.gradeMethod);
  const grades = Object.fromEntries(i.grades.map((g) => [g.method, g.score]));
  return {
    value: i.score,
    answer: i.answer,
    explanation: primary?.note ?? primary?.rawAnswer ?? null,
    metadata: { grader: i.gradeMethod, exact: i.exact, grades, judge_model: primary?.judgeModel ?? null },
    history: [],
  };
}

function metadata(i: EvalItemView): Json {
  const base = { adapter_id: i.adapterId, method: i.method, trigger: i.trigger, split: i.split, status: i.status };
  return i.agentSteps ? { ...base, agent_steps: i.agentSteps.map((s) => ({ step: s.step, tool: s.tool, guess: s.guess, score: s.score })) } : base;
}

const sampleId = (i: EvalItemView) => i.id;
const uuid = (runId: number, i: EvalItemView) => `diffscope-run-${runId}-item-${i.id}`;

function sample(runId: number, i: EvalItemView, model: string, agentModel: string): Json {
  const scored = score(i);
  const messages = conversation(i, model, agentModel);
  const answer = i.answer ?? '';
  return {
    id: sampleId(i),
    epoch: 1,
    input: i.transcript ? messages.filter((m) => m.role === 'user') : i.agentSteps ? messages.slice(0, 2) : (i.prompt ?? ''),
    target: i.label ?? '',
    messages,
    output: {
      model,
      choices: i.answer === null ? [] : [{ message: message('assistant', answer, 'generate', i.agentSteps ? agentModel : model), stop_reason: 'stop' }],
      completion: answer,
      ...(i.error ? { error: i.error } : {}),
    },
    scores: scored ? { [i.method]: scored } : null,
    metadata: metadata(i),
    store: {},
    events: [],
    model_usage: {},
    uuid: uuid(runId, i),
    error: i.error ? { message: i.error, traceback: '', traceback_ansi: '' } : null,
    attachments: {},
  };
}

function summary(runId: number, i: EvalItemView): Json {
  const scored = score(i);
  return {
    id: sampleId(i),
    epoch: 1,
    input: i.transcript ? i.transcript.map((t) => message('user', t.question, 'input')) : (i.prompt ?? ''),
    target: i.label ?? '',
    metadata: metadata(i),
    scores: scored ? { [i.method]: { value: scored.value, answer: scored.answer, explanation: scored.explanation } } : null,
    model_usage: {},
    uuid: uuid(runId, i),
    error: i.error,
    completed: i.status === 'done',
  };
}

/** The standard error of the mean (sample standard deviation / √n), as Inspect's stderr metric. */
function stderr(values: number[]): number | null {
  if (values.length < 2) return null;
  const m = values.reduce((a, b) => a + b, 0) / values.length;
  const v = values.reduce((a, b) => a + (b - m) ** 2, 0) / (values.length - 1);
  return Math.sqrt(v / values.length);
}

function metrics(m: EvalMethodResult, items: EvalItemView[]): Json {
  const out: Json = {};
  const add = (name: string, value: number | null) => {
    if (value !== null && Number.isFinite(value)) out[name] = { name, value, params: {} };
  };
  add('mean', m.mean);
  add('stderr', stderr(items.filter((i) => i.method === m.method && i.score !== null).map((i) => i.score!)));
  add('ci95_lower', m.ci95?.[0] ?? null);
  add('ci95_upper', m.ci95?.[1] ?? null);
  add('accuracy', m.accuracy);
  return out;
}

const METRIC_NAMES = ['mean', 'stderr', 'ci95_lower', 'ci95_upper', 'accuracy'];

export interface InspectLog {
  start: Json; // _journal/start.json
  header: Json; // header.json
  samples: Json[];
  summaries: Json[];
}

export function inspectLog(results: EvalResults, items: EvalItemView[], prov: EvalProvenance, version: string): InspectLog {
  const run = results.run;
  const s = run.settings;
  const model = modelName(run.modelId);
  const methods = results.methods.filter((m) => !m.unavailable);
  const eval_ = {
    eval_id: `diffscope-eval-${run.id}`,
    run_id: `diffscope-run-${run.id}`,
    created: run.createdAt,
    task: 'diffscope_eval',
    task_id: `diffscope-eval-${run.id}`,
    task_version: 0,
    task_display_name: `Diffscope eval run ${run.id}`,
    task_attribs: {},
    task_args: { question: s.question, methods: run.methods, custom_question: s.customQuestion, seed: s.seed, selection: run.selection },
    task_args_passed: {},
    solver: 'diffscope',
    solver_args: { dit_adapter: run.ditAdapterId, engine: s.engine.kind === 'local' ? 'local' : `openai:${s.engine.baseUrl}` },
    solver_args_passed: {},
    dataset: { name: 'diffscope-diffs', samples: items.length, sample_ids: items.map(sampleId), shuffled: false },
    model,
    model_generate_config: { temperature: 0, max_tokens: s.maxTokens, seed: s.seed },
    model_args: {},
    config: { epochs: 1, fail_on_error: false, log_samples: true },
    packages: { diffscope: version },
    metadata: {
      base_model: prov.model,
      dit_adapter: prov.ditAdapter,
      judge: s.judge,
      unavailable: s.unavailable,
    },
    scorers: methods.map((m) => ({ name: m.method, options: {}, metrics: METRIC_NAMES.map((name) => ({ name, options: {} })), metadata: { title: m.title, grader: m.grader } })),
  };
  const plan = { name: 'plan', steps: [{ solver: 'generate', params: { temperature: 0, max_tokens: s.maxTokens }, params_passed: {} }], config: {} };
  const header = {
    version: INSPECT_LOG_VERSION,
    status: STATUS[run.status],
    eval: eval_,
    plan,
    results: {
      total_samples: items.length,
      completed_samples: items.filter((i) => i.status === 'done').length,
      scores: methods.map((m) => ({
        name: m.method,
        scorer: m.method,
        scored_samples: m.graded,
        unscored_samples: m.items - m.graded,
        params: {},
        metrics: metrics(m, items),
        metadata: { title: m.title },
      })),
    },
    stats: { started_at: run.createdAt, completed_at: run.finishedAt ?? '', model_usage: {} },
    error: run.status === 'failed' ? { message: run.error ?? 'failed', traceback: '', traceback_ansi: '' } : null,
    invalidated: false,
    tags: [],
    metadata: {},
  };
  return {
    start: { version: INSPECT_LOG_VERSION, eval: eval_, plan },
    header,
    samples: items.map((i) => sample(run.id, i, model, s.agent ? `agent/${s.agent.model}` : 'agent')),
    summaries: items.map((i) => summary(run.id, i)),
  };
}

/** The log as the `.eval` zip's entries, in the order Inspect's recorder writes them. */
export function inspectEvalFile(log: InspectLog): Buffer {
  const entries: ZipEntry[] = [{ name: '_journal/start.json', data: JSON.stringify(log.start) }];
  for (const s of log.samples) entries.push({ name: `samples/${s.id}_epoch_${s.epoch}.json`, data: JSON.stringify(s) });
  const summaries = JSON.stringify(log.summaries);
  entries.push({ name: '_journal/summaries/1.json', data: summaries }, { name: 'summaries.json', data: summaries }, { name: 'header.json', data: JSON.stringify(log.header) });
  return zipArchive(entries);
}
