// `diffscope eval`: a batch evaluation over many diffs (docs/evaluation.md), the demo's evaluation,
// or a run resumed after a crash, a quit or Ctrl-C. Progress and ETA on stderr; the results table
// (or --json, with the run's id as runId) on stdout; --out FILE writes the run as .csv, .json, .md,
// .html or .eval (an Inspect AI log).
import { extname } from 'node:path';
import type { AgentConfig, DemoReportView, DemoSettingView, EvalEngineChoice, EvalExportFormat, EvalMethod, EvalRequest, EvalResults, JudgeConfig } from '../../../shared/api.ts';
import { EVAL_METHODS } from '../../../shared/types.ts';
import type { Backend } from '../../services/backend.ts';
import { demoRequest, ensureDemo } from '../../services/eval/demo.ts';
import { demoSettingsJson } from '../../services/eval/demo-report.ts';
import { exportEvalRun } from '../../services/export.ts';
import { requireModel } from '../../services/lookup.ts';
import { int } from '../args.ts';
import { withBackend } from '../backend.ts';
import { progressBar } from '../progress.ts';
import { showJobs } from '../jobs.ts';
import { writeExported } from './write-exported.ts';

const METHODS: readonly EvalMethod[] = EVAL_METHODS;

/** The options of `diffscope eval`, as program.ts declares them. */
export interface EvalOptions {
  model?: string;
  dit?: string;
  split?: string;
  tag?: string;
  experiment?: string;
  diffs?: string;
  limit?: string;
  methods: string;
  question?: string;
  custom?: string;
  judge?: string;
  judgeModel?: string;
  agent?: string;
  agentModel?: string;
  agentBudget?: string;
  agentTokens?: string;
  batch?: string;
  maxTokens?: string;
  seed?: string;
  engine: string;
  remoteModel?: string;
  loraDir?: string;
  resume?: string;
  list?: boolean;
  demo?: boolean;
  precision?: 'fp32' | 'int8' | 'int4';
  out?: string;
  json?: boolean;
}

export async function evalCommand(values: EvalOptions): Promise<void> {
  await withBackend(async (b) => {
    if (values.list) return listRuns(b, values.json ?? false);
    let runId: number;
    let settings: DemoReportView | undefined; // the demo's other settings (issue 15)
    let demoJudge: JudgeConfig | null = null; // the app's judge or --judge; none: lexical, offline
    if (values.resume !== undefined) {
      runId = b.evals.resume(int(values.resume, '--resume', 0)).id;
    } else if (values.demo) {
      const off = showJobs(b); // a new data folder imports the demo first
      const demo = await ensureDemo(b.ctx, undefined, values.precision ?? 'fp32').finally(off);
      demoJudge = judgeOf(b, values);
      runId = b.evals.start(demoRequest(demo, values.batch === undefined ? undefined : int(values.batch, '--batch', 8), demoJudge)).id;
    } else {
      runId = b.evals.start(request(b, values)).id;
    }
    const run = await follow(b, runId);
    if (values.out) {
      const ext = extname(values.out).slice(1);
      const format = (ext === 'eval' ? 'inspect' : ext) as EvalExportFormat;
      if (!['csv', 'json', 'md', 'html', 'inspect'].includes(format)) throw new Error(`--out ${values.out}: name a .csv, .json, .md, .html or .eval file`);
      writeExported(values.out, exportEvalRun(b.ctx, b.evals, runId, format));
    }
    if (values.demo && run.run.status === 'done') settings = await demoSettings(b, runId, values, demoJudge);
    if (values.demo && values.json) console.log(JSON.stringify({ runId, ...demoJson(run), ...(settings ? { settings: demoSettingsJson(settings) } : {}) }));
    else if (values.json) console.log(JSON.stringify({ runId, ...run }, null, 2));
    else {
      printTable(run, values.demo ?? false);
      for (const s of settings?.settings.slice(1) ?? []) printSetting(s);
    }
    if (run.run.status === 'failed') throw new Error(`eval run ${runId} failed: ${run.run.error}`);
    if (run.run.status === 'paused') process.stderr.write(`paused: resume with \`diffscope eval --resume ${runId}\`\n`);
  });
}

function judgeOf(b: Backend, v: EvalOptions): JudgeConfig | null {
  const judge = v.judge;
  if (judge === undefined) return b.grading.judgeConfig(); // the one set in the app, else lexical
  if (judge === 'lexical') return null;
  if (judge.startsWith('local:')) return { kind: 'local', modelId: judge.slice('local:'.length) };
  if (!/^https?:\/\//.test(judge)) throw new Error(`--judge ${judge}: expected lexical, local:MODEL_ID or an OpenAI-compatible base URL`);
  if (!v.judgeModel) throw new Error('--judge URL needs --judge-model NAME (the model to ask there); its key comes from DIFFSCOPE_JUDGE_KEY');
  return { kind: 'openai', baseUrl: judge, model: v.judgeModel };
}

function agentOf(v: EvalOptions): AgentConfig | null {
  if (v.agent === undefined) return null;
  if (!/^https?:\/\//.test(v.agent)) throw new Error(`--agent ${v.agent}: expected an OpenAI-compatible base URL (with tool calling)`);
  if (!v.agentModel) throw new Error('--agent URL needs --agent-model NAME (the model to ask there); its key comes from DIFFSCOPE_AGENT_KEY');
  const opt = (value: string | undefined, flag: string) => (value === undefined ? undefined : int(value, flag, 1));
  return { baseUrl: v.agent, model: v.agentModel, budget: opt(v.agentBudget, '--agent-budget'), answerTokens: opt(v.agentTokens, '--agent-tokens') };
}

function engineOf(v: EvalOptions): EvalEngineChoice {
  const engine = v.engine;
  if (engine === 'local') return { kind: 'local' };
  if (!engine.startsWith('openai:')) throw new Error(`--engine ${engine}: expected local or openai:URL`);
  return { kind: 'openai', baseUrl: engine.slice('openai:'.length), model: v.remoteModel, loraDir: v.loraDir };
}

function request(b: Backend, v: EvalOptions): EvalRequest {
  if (!v.model) throw new Error('--model ID is required (see `diffscope models`), or --demo, or --resume RUN_ID');
  const methods = v.methods.split(',').map((m) => m.trim()) as EvalMethod[];
  for (const m of methods) if (!METHODS.includes(m)) throw new Error(`--methods: unknown method "${m}" (${METHODS.join(', ')})`);
  const opt = (value: string | undefined, flag: string) => (value === undefined ? undefined : int(value, flag, 0));
  return {
    modelId: requireModel(b.ctx.catalog, v.model).id, // an id, or a name shown for it
    ditAdapterId: v.dit ?? null,
    selection: {
      split: v.split as 'train' | 'test' | undefined,
      tag: v.tag,
      experiment: v.experiment,
      adapterIds: v.diffs ? v.diffs.split(',').map((s) => s.trim()) : undefined,
      limit: opt(v.limit, '--limit'),
    },
    methods,
    judge: judgeOf(b, v),
    batch: opt(v.batch, '--batch'),
    question: v.question,
    maxTokens: opt(v.maxTokens, '--max-tokens'),
    customQuestion: v.custom,
    seed: opt(v.seed, '--seed'),
    engine: engineOf(v),
    agent: agentOf(v),
  };
}

/** Shows progress until the run stops; Ctrl-C pauses it. */
async function follow(b: Backend, runId: number): Promise<EvalResults> {
  const start = b.evals.get(runId);
  process.stderr.write(`eval run ${runId}: ${start.progress.total} items (${start.methods.join(', ')}), ${start.progress.done} done already\n`);
  const bar = progressBar(`eval run ${runId}`);
  const off = b.onEvent((e) => {
    if (e.type === 'eval' && e.progress.runId === runId) bar.update(e.progress.done + e.progress.failed, e.progress.total, `eval ${e.progress.method ?? ''}`.trim());
  });
  const onSigint = () => void b.evals.cancel(runId);
  process.once('SIGINT', onSigint);
  try {
    await b.evals.wait(runId);
  } finally {
    process.off('SIGINT', onSigint);
    off();
    bar.done();
  }
  return b.evals.results(runId);
}

/** Every setting the demo ships, one eval run each after the hidden-topic one (services/eval/demo-report.ts). */
async function demoSettings(b: Backend, hiddenRunId: number, values: EvalOptions, judge: JudgeConfig | null): Promise<DemoReportView> {
  const off = showJobs(b); // imports of the settings' folders
  try {
    const report = await b.demoReports.run({
      judge,
      precision: values.precision,
      batch: values.batch === undefined ? undefined : int(values.batch, '--batch', 8),
      hiddenRunId,
      onRun: async (_name, runId, k) => {
        if (k > 0) await follow(b, runId);
      },
    });
    return report;
  } finally {
    off();
  }
}

function demoJson(r: EvalResults) {
  const pick = (m: EvalMethod) => {
    const x = r.methods.find((y) => y.method === m);
    return { accuracy: x?.accuracy ?? null, meanScore: x?.mean ?? null };
  };
  return { n: Math.max(0, ...r.methods.map((m) => m.items)), methods: { base: pick('base'), trigger: pick('trigger'), dit: pick('dit') } };
}

function printTable(r: EvalResults, demo: boolean): void {
  const grader = r.run.settings.judge ? 'LLM judge' : 'lexical score, offline';
  const n = Math.max(0, ...r.methods.map((m) => m.items));
  console.log(`${demo ? 'demo evaluation' : `eval run ${r.run.id}`}: ${n} diffs, greedy; scores 1-5 by ${grader}`);
  console.log(`${'method'.padEnd(18)} ${'exact topic'.padStart(11)} ${'mean score'.padStart(10)}  95% CI`);
  for (const m of r.methods) {
    if (m.unavailable) {
      console.log(`${m.title.padEnd(18)} unavailable: ${m.unavailable}`);
      continue;
    }
    const acc = m.accuracy === null ? '—' : `${(m.accuracy * 100).toFixed(0)}%`;
    const ci = m.ci95 ? `${m.ci95[0].toFixed(2)}–${m.ci95[1].toFixed(2)}` : '—';
    console.log(`${m.title.padEnd(18)} ${acc.padStart(11)} ${(m.mean === null ? '—' : m.mean.toFixed(2)).padStart(10)}  ${ci}`);
  }
  const failed = r.run.progress.failed;
  if (failed > 0) console.log(`${failed} items failed (see --json or --out FILE.csv); \`diffscope eval --resume ${r.run.id}\` retries them`);
}

/** One of the demo's other settings, beside the paper's finding. */
function printSetting(s: DemoSettingView): void {
  console.log(`\n${s.title}: ${s.n} diffs, eval run ${s.runId}, scores 1-5 by ${s.grader === 'judge' ? 'LLM judge' : 'lexical score, offline'}`);
  for (const m of s.methods) {
    if (m.skipped) console.log(`  ${m.title.padEnd(18)} skipped: ${m.skipped}`);
    else console.log(`  ${m.title.padEnd(18)} ${`${((m.accuracy ?? 0) * 100).toFixed(0)}%`.padStart(5)} exact  mean ${m.meanScore?.toFixed(2) ?? '—'}${m.paper === null ? '' : `  (paper ${m.paper.toFixed(2)})`}`);
  }
  console.log(`  paper: ${s.paper}`);
}

function listRuns(b: Backend, json: boolean): void {
  const runs = b.evals.list();
  if (json) return console.log(JSON.stringify(runs, null, 2));
  for (const r of runs) console.log(`${String(r.id).padStart(4)}  ${r.status.padEnd(7)} ${r.progress.done}/${r.progress.total}  ${r.modelId}  ${r.methods.join(',')}  ${r.createdAt}`);
}
