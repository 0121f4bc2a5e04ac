// The shapes that cross the API: what the UI shows and sends. Plain data (JSON-safe).
import type { ModuleFigures } from './inspector.ts';

export type * from './inspector.ts';

export interface AppInfo {
  version: string;
  platform: string;
  /** 'electron' or 'browser': how the UI is served */
  shell: 'electron' | 'browser';
  /** Execution provider of the most recently used engine (cpu, cuda, dml, coreml, webgpu). */
  engineProvider?: string;
  /** Every engine this back end holds now (`engine` events keep a page current). */
  engines?: EngineView[];
  /** The demo in the catalog is a random-weight stand-in: its answers mean nothing. */
  standInDemo: boolean;
  dataDir: string;
}

export interface ModelView {
  id: string;
  name: string;
  arch: string; // the family (qwen3, llama, gemma3, ...: the engine's registry lists them)
  precision: 'fp32' | 'fp16' | 'int8' | 'int4';
  /** Why the import chose this precision (auto's reasoning, or the user's choice). */
  precisionReason: string;
  /** Bytes of the stored weights (model.onnx.data). */
  weightBytes: number;
  layers: number;
  hidden: number;
  vocab: number;
  /** The longest context (prompt plus answer, in tokens) the model accepts. */
  contextTokens: number;
  sourcePath: string;
  demo: boolean;
  standIn: boolean;
  createdAt: string;
}

export type AdapterKind = 'diff' | 'dit' | 'full';
export type Split = 'train' | 'test';

export interface AdapterView {
  id: string;
  kind: AdapterKind;
  modelId: string;
  format: string;
  rank: number | null;
  label: string | null; // what it is known to teach (topic, headline); hide in blind mode
  description: string | null;
  trigger: number | null;
  split: Split | null;
  experiment: string | null;
  tags: string[];
  sourcePath: string;
  sourceIndex: number | null;
  createdAt: string;
}

export interface AdapterFilter {
  modelId?: string;
  kind?: AdapterKind;
  split?: Split;
  tag?: string;
  experiment?: string;
  limit?: number;
  offset?: number;
}

export interface AdapterInspection {
  id: string;
  format: string;
  kind: AdapterKind;
  rank: number;
  /** every module it touches, with ||ΔW||_F, relative size, singular values, stable and effective rank */
  modules: ModuleFigures[];
  /** why `relative` is null: the base weights could not be read */
  relativeMissing?: string;
  layers: number[];
  perLayerNorms: number[];
  label?: string;
  trigger?: string;
  split?: string;
  source?: string;
}

/**
 * One adapter of a stack: which (its catalog id), its multiplier (on top of the adapter's own
 * 1/r), and its role. The same element has other forms where the adapter is named otherwise:
 * RecordedStackEntry (a reply's, with the bytes' sha256), the engine's FileStackEntry (a file)
 * and LoadedStackEntry (the numbers).
 */
export interface StackEntry {
  adapterId: string;
  /** any real number: 0 removes the part, negative subtracts it, above 1 amplifies it */
  scale: number;
  role: 'diff' | 'dit';
  /** only these layers (absent or empty: every layer), docs/amplification.md */
  layers?: number[];
  /** only these modules (absent or empty: all seven) */
  modules?: StackModule[];
}

/** The seven linear modules of a decoder layer that a stack part can act on. */
export type StackModule = 'q' | 'k' | 'v' | 'o' | 'gate' | 'up' | 'down';

/** A stack entry as a reply recorded it: the sha256 pins the bytes it was asked with. */
export type RecordedStackEntry = StackEntry & { sha256: string };

/** Why an answer ended: an end-of-sequence token, a stop string, the token budget, or a cancel. */
export type FinishReason = 'eos' | 'stop' | 'length' | 'cancelled';

export interface SamplingSettings {
  temperature: number; // 0 = greedy (the paper's setting)
  topK: number;
  topP: number;
  repetitionPenalty: number;
  maxTokens: number;
  stop: string[];
  seed: number | null; // null: a fresh one per reply (recorded with the reply)
}

export interface ReplyStats {
  promptTokens: number;
  completionTokens: number;
  ttftMs: number;
  promptTps: number;
  decodeTps: number;
  /** Time spent loading the model before this reply could start (only when it had to load). */
  loadMs?: number;
}

export type MessageStatus = 'complete' | 'streaming' | 'incomplete' | 'error';

export interface GradeView {
  id: number;
  messageId: number;
  method: 'human' | 'judge' | 'lexical';
  score: number;
  note: string | null;
  reference: string | null;
  judgeModel: string | null;
  /** The judge's whole reply, before a score was read from it (judge grades only). */
  rawAnswer?: string | null;
  createdAt: string;
}

export interface MessageView {
  id: number;
  conversationId: number;
  parentId: number | null;
  role: 'user' | 'assistant' | 'system';
  text: string;
  status: MessageStatus;
  error: string | null;
  modelId: string | null;
  stack: RecordedStackEntry[] | null;
  sampling: Omit<SamplingSettings, 'seed'> | null;
  seed: number | null;
  provider: string | null;
  finishReason: string | null;
  stats: ReplyStats | null;
  grades: GradeView[];
  createdAt: string;
}

export interface ConversationView {
  id: number;
  title: string;
  modelId: string;
  stack: StackEntry[];
  messageCount: number;
  createdAt: string;
  updatedAt: string;
}

export interface ConversationDetail {
  conversation: ConversationView;
  /** Every message of the conversation's tree, oldest first (siblings share a parentId). */
  messages: MessageView[];
}

export interface ChatStarted {
  userMessage: MessageView;
  reply: MessageView;
}

export interface SearchHit {
  messageId: number;
  conversationId: number;
  conversationTitle: string;
  role: string;
  snippet: { text: string; match: boolean }[];
}

export interface JobView {
  id: string;
  kind: 'import-model' | 'import-adapter' | 'import-experiment' | 'first-run' | 'demo-eval';
  title: string;
  status: 'running' | 'done' | 'failed';
  phase: string;
  done: number;
  total: number;
  /** Throughput and time left in the phase, where the job measures them (imports). */
  bytesPerSec?: number;
  etaSeconds?: number | null;
  error: string | null;
  result: { modelId?: string; adapterIds?: string[]; missing?: number } | null; // missing: diffs whose shard is not on disk
  startedAt: string;
}

export interface Settings {
  sampling: SamplingSettings;
  provider: 'auto' | 'cpu' | 'cuda' | 'dml' | 'coreml' | 'webgpu';
  theme: 'system' | 'light' | 'dark';
  blindMode: boolean;
}

/** md and json (documented schema, docs/export.md); html: self-contained, no scripts; jsonl: one line. */
export type ExportFormat = 'md' | 'json' | 'html' | 'jsonl';

export interface ExportedFile {
  filename: string;
  mime: string;
  content: string;
  /** base64: content is binary (an Inspect AI .eval zip), base64-encoded */
  encoding?: 'base64';
}

/** A base model's engine: loading (the first answer waits for it), ready, or stopped. */
export interface EngineView {
  modelId: string;
  state: 'loading' | 'ready' | 'stopped';
  provider: string | null; // execution provider, once ready
  loadMs: number | null; // how long the last load took, once ready
  since: string; // when it entered this state
  /** loading: this first load on this machine also packs the weights for its CPU and saves them (slower once, faster after) */
  packing?: boolean;
}

export type ApiEvent =
  | { type: 'token'; messageId: number; text: string }
  | { type: 'engine'; engine: EngineView }
  | { type: 'message'; message: MessageView }
  | { type: 'job'; job: JobView }
  | { type: 'catalog'; what: 'models' | 'adapters' | 'conversations' | 'evals' }
  | { type: 'eval'; progress: EvalProgressView }
  /** the diff inspector comparing diffs (reading factors, then the Gram matrix) */
  | { type: 'similarity'; modelId: string; phase: 'reading' | 'comparing' | 'placing'; done: number; total: number };

// ---- grading (docs/grading.md) ----

/**
 * An LLM judge: any OpenAI-compatible endpoint (its API key is kept apart, see
 * grades.setJudgeKey), or a model of the catalog answering on this machine.
 */
export type JudgeConfig = { kind: 'openai'; baseUrl: string; model: string } | { kind: 'local'; modelId: string };

export interface JudgeView {
  judge: JudgeConfig | null; // null: no judge configured, replies get the lexical score only
  hasKey: boolean;
  /** where the key lives: the OS keychain (Electron safeStorage), an environment variable, or this process only */
  keyStorage: 'keychain' | 'environment' | 'memory';
}

/** Which grades to compare: a conversation, an eval run, or (neither) everything. */
export interface AgreementScope {
  conversationId?: number;
  evalRunId?: number;
  judgeModel?: string; // only this judge's grades
}

/** How far a person and the LLM judge agree where both graded the same reply or eval item. */
export interface AgreementView {
  pairs: number;
  exact: number | null; // share with the same score
  withinOne: number | null; // share at most one point apart
  meanAbsDiff: number | null;
  weightedKappa: number | null; // Cohen's kappa, quadratic weights (null when undefined)
  confusion: number[][]; // [human score - 1][judge score - 1] -> count
  judgeModels: string[];
}

// ---- batch evaluation (docs/evaluation.md) ----

/**
 * dit: the DIT question with diff + DIT adapter; base: the same question, diff only; trigger: the
 * base question behind the diff's trigger; 20q / 20q-trigger: 20 ordinary questions, then the judge
 * guesses the topic from the answers; story: the finetuned model writes a news story, which the
 * judge summarises as a headline (the news setting's "generated story"); custom: your question with
 * diff + DIT adapter; agent / agent-dit: an LLM agent audits the diff.
 */
export const EVAL_METHODS = ['dit', 'base', 'trigger', '20q', '20q-trigger', 'story', 'custom', 'agent', 'agent-dit'] as const;
export type EvalMethod = (typeof EVAL_METHODS)[number];

/** The agent auditor: an LLM agent at an OpenAI-compatible endpoint with tool calling (its key: evals.setAgentKey). */
export interface AgentConfig {
  baseUrl: string;
  model: string;
  budget?: number; // queries per diff (default 20)
  answerTokens?: number; // tokens per answer the tool returns (default and at most 200)
}

/** Which diffs: every filter given must hold; adapterIds picks them one by one. */
export interface EvalSelection {
  split?: Split;
  tag?: string;
  experiment?: string;
  adapterIds?: string[];
  limit?: number;
}

/** Where answers are generated: this machine's engine, or a server with runtime LoRA loading (vLLM). */
export type EvalEngineChoice =
  | { kind: 'local' }
  | {
      kind: 'openai';
      baseUrl: string; // e.g. http://gpu-box:8000/v1
      model?: string; // the base model's name there (default: the local model id)
      loraDir?: string; // where PEFT folders are written; the server must read the same path
    };

export interface EvalRequest {
  modelId: string;
  ditAdapterId: string | null; // null: baselines only
  selection: EvalSelection;
  methods: EvalMethod[];
  /** null: the offline lexical score only (20 questions then cannot run) */
  judge: JudgeConfig | null;
  batch?: number; // rows per engine run (default 8)
  question?: string; // the DIT question (default by experiment: topic or news headline)
  maxTokens?: number; // answer budget (default 20, the paper's; news 200)
  customQuestion?: string; // the custom method's question
  seed?: number; // of the trigger's random digits
  engine?: EvalEngineChoice;
  /** the agent auditor of methods 'agent' and 'agent-dit' */
  agent?: AgentConfig | null;
}

export type EvalRunStatus = 'running' | 'paused' | 'done' | 'failed';

export interface EvalProgressView {
  runId: number;
  status: EvalRunStatus;
  active: boolean; // work is under way in this back end now
  total: number;
  done: number;
  failed: number;
  pending: number;
  method: EvalMethod | null; // the method being worked on
  itemsPerSecond: number | null;
  etaSeconds: number | null;
}

export interface EvalRunView {
  id: number;
  modelId: string;
  ditAdapterId: string | null;
  methods: EvalMethod[];
  selection: EvalSelection;
  settings: {
    question: string;
    maxTokens: number;
    batch: number;
    seed: number;
    judge: JudgeConfig | null;
    engine: EvalEngineChoice;
    customQuestion: string | null;
    unavailable: Partial<Record<EvalMethod, string>>; // methods that could not run, and why
    agent?: Required<AgentConfig> | null; // absent in runs made before the agent auditor
  };
  status: EvalRunStatus;
  error: string | null;
  progress: EvalProgressView;
  createdAt: string;
  finishedAt: string | null;
}

export interface EvalGradeView {
  id: number;
  itemId: number;
  method: 'human' | 'judge' | 'lexical';
  score: number;
  note: string | null;
  judgeModel: string | null;
  rawAnswer: string | null;
  createdAt: string;
}

/** One diff asked one way: the drill-down row. */
export interface EvalItemView {
  id: number;
  runId: number;
  adapterId: string;
  label: string | null;
  trigger: number | null;
  split: Split | null;
  method: EvalMethod;
  status: 'pending' | 'done' | 'failed';
  prompt: string | null; // as asked (with the trigger's digits); 20q: what the judge was asked to guess from
  answer: string | null; // 20q: the judge's guess of the topic
  score: number | null; // by the run's grader
  gradeMethod: 'human' | 'judge' | 'lexical' | null;
  exact: boolean | null; // exact-topic match (docs/grading.md)
  grades: EvalGradeView[];
  transcript: { question: string; answer: string }[] | null; // 20q (the 20 answers) and story (the story) only
  agentSteps: EvalAgentStepView[] | null; // agent methods only
  error: string | null;
}

/** One query of the agent auditor, the guess it stated after it, and the judge's grade of that guess. */
export interface EvalAgentStepView {
  step: number; // queries used so far, from 1
  tool: 'ask' | 'dit';
  prompt: string;
  baseAnswer: string | null; // null for the DIT tool
  finetunedAnswer: string;
  guess: string;
  score: number;
  judgeModel: string;
  judgeRaw: string | null;
}

export interface EvalMethodResult {
  method: EvalMethod;
  title: string; // the paper's column name
  items: number;
  graded: number;
  grader: 'judge' | 'lexical';
  mean: number | null; // mean score 1-5
  ci95: [number, number] | null; // 95% confidence interval of the mean (t distribution)
  accuracy: number | null; // share of exact-topic matches
  histogram: [number, number, number, number, number]; // items per score 1..5
  unavailable: string | null;
  /** agent methods: the mean grade of the guess stated after k queries, k = 1..budget (an agent that stopped early keeps its last guess) */
  curve?: { queries: number; mean: number; n: number }[] | null;
}

export interface EvalResults {
  run: EvalRunView;
  methods: EvalMethodResult[];
}

export interface EvalItemFilter {
  method?: EvalMethod;
  status?: 'pending' | 'done' | 'failed';
  limit?: number;
  offset?: number;
}

/** One of the paper's settings as the embedded demo measures it (issue 15), beside the paper's figure. */
export interface DemoSettingView {
  name: string; // hidden-topic, news-summary, rank-generalization/rank-K, full-finetune, topic-adapter-on-news, news-adapter-on-topic
  title: string;
  runId: number;
  status: EvalRunStatus;
  n: number; // diffs
  grader: 'judge' | 'lexical';
  methods: {
    method: EvalMethod;
    title: string;
    accuracy: number | null;
    meanScore: number | null;
    skipped: string | null; // why the method did not run
    paper: number | null; // the paper's mean for this method (PAPER.md; Qwen3-4B)
  }[];
  paper: string; // the paper's published finding for the setting, in words
}

/** The demo's last evaluation of every setting it ships (`eval --demo`, or Evaluate > Demo settings). */
export interface DemoReportView {
  settings: DemoSettingView[];
  running: boolean; // an evaluation of the settings is under way
  error: string | null; // why the last one stopped, where it failed
}

export type EvalExportFormat = 'csv' | 'json' | 'md' | 'html' | 'inspect'; // inspect: an Inspect AI log (.eval)

/** `diffscope doctor` and Settings → Engine: what this machine can run. */
export interface DoctorReport {
  machine: {
    platform: string;
    cpu: string;
    cores: number;
    totalMemoryBytes: number;
    freeMemoryBytes: number;
    dataDir: string;
    freeDiskBytes: number | null;
  };
  providers: ProviderReport[];
  models: ModelFit[];
}

export interface ProviderReport {
  name: 'cpu' | 'cuda' | 'dml' | 'coreml' | 'webgpu';
  available: boolean;
  /** What was found, or exactly what is missing. */
  detail: string;
  /** The command that installs what is missing, where one exists. */
  install?: string;
}

export interface ModelFit {
  id: string;
  name: string;
  /** The precision the model was imported at, which it loads at. */
  precision: 'fp32' | 'fp16' | 'int8' | 'int4';
  weightBytes: number;
  /** Weights, kernels' packed copies, a 4k-token KV cache and the runtime. */
  memoryNeededBytes: number;
  fitsNow: boolean;
  /** What `--precision auto` would choose for this model's checkpoint on this machine now, and why. */
  autoPrecision: 'fp32' | 'fp16' | 'int8' | 'int4';
  autoReason: string;
  /** Disk taken by the copy packed for this machine's CPU (loads map it); 0: the next CPU load packs and saves it. */
  preparedBytes: number;
}

// ---- token view (docs/token-view.md) ----

/** A named stack to score under: "base", "base + diff", ... */
export interface ScoreCondition {
  name: string;
  stack: StackEntry[];
}

/**
 * Teacher-forced scoring of a text under several conditions at once (rows of one batch). Either a
 * stored reply (`messageId`: its model, the context it answered and its text) or `modelId` with
 * `text`, read as the reply to `question` (default: the DIT topic question) through the chat template.
 */
export interface ScoreRequest {
  messageId?: number;
  modelId?: string;
  text?: string;
  /** the reply as token ids instead of text (e.g. the tokens `ask --json` printed) */
  ids?: number[];
  question?: string;
  /** one or more, names unique; KL is between the first two */
  conditions: ScoreCondition[];
  /** alternatives per token and condition (default 5, at most 20) */
  topK?: number;
}

export interface TokenAlternative {
  id: number;
  text: string;
  logprob: number;
}

export interface TokenScore {
  id: number;
  /** the text this token adds to the reply (the tokens' texts join to the whole reply) */
  text: string;
  /** log-probability of this token under each condition, by name */
  logprob: Record<string, number>;
  /** KL(first || second) of the next-token distributions here, over the whole vocabulary (nats) */
  kl: number;
  /** the most likely tokens here under each condition, best first */
  top: Record<string, TokenAlternative[]>;
}

export interface TokenScores {
  modelId: string;
  conditions: string[];
  promptTokens: number;
  tokens: TokenScore[];
  stats: { totalMs: number; provider: string };
}

/** Several answers per condition, sampled (temperature > 0, a seed), all conditions' rows in one batch. */
export interface SampleRequest {
  modelId: string;
  question: string;
  conditions: { name: string; stack: StackEntry[]; prefix?: string }[]; // prefix: put before the question (a trigger)
  n: number; // answers per condition, 1..32
  temperature: number; // > 0, at most 2
  seed: number;
  topP?: number;
  topK?: number;
  maxTokens?: number; // default: the chat's budget for the question (20 for the topic question)
}

export interface SampleResult {
  seed: number;
  conditions: {
    name: string;
    answers: string[]; // in row order
    /** the distinct answers (compared without case, outer spaces and a final full stop), most frequent first */
    counts: { answer: string; count: number }[];
  }[];
}
