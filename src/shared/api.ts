// The one API contract between the UI and the back end. The preload bridge (Electron), the HTTP
// bridge (browser mode) and the back end's handlers all implement or consume these types, so the
// renderer cannot tell which transport it has. Types only, plus the channel-name constant.
import type {
  AdapterFilter,
  AgreementScope,
  AgreementView,
  EvalExportFormat,
  EvalGradeView,
  EvalItemFilter,
  EvalItemView,
  EvalProgressView,
  EvalRequest,
  EvalResults,
  EvalRunView,
  JudgeConfig,
  JudgeView,
  AdapterInspection,
  AdapterMap,
  AdapterView,
  SimilarAdapters,
  ApiEvent,
  AppInfo,
  ChatStarted,
  ConversationDetail,
  ConversationView,
  DoctorReport,
  ExportedFile,
  ExportFormat,
  GradeView,
  JobView,
  MessageView,
  ModelView,
  SamplingSettings,
  SearchHit,
  Settings,
  StackEntry,
  ScoreRequest,
  SampleRequest,
  SampleResult,
  TokenScores,
  DemoReportView,
} from './types.ts';

export type * from './types.ts';

/** Request/response methods, grouped by domain; each is one channel `<domain>:<method>`. */
export interface DiffscopeRequests {
  app: {
    info(): Promise<AppInfo>;
    /** Cores, memory, disk, each execution provider (tried for real), and what each model needs. */
    doctor(): Promise<DoctorReport>;
  };
  models: {
    list(): Promise<ModelView[]>;
    /** A Hugging Face model folder; runs as a job (progress arrives as `job` events). */
    /** precision auto: the most precise that fits (docs/engine.md); blockSize: values per scale of int8/int4 (default 32). */
    import(path: string, precision: 'fp32' | 'fp16' | 'int8' | 'int4' | 'auto', blockSize?: number): Promise<JobView>;
    remove(id: string): Promise<void>;
  };
  adapters: {
    list(filter: AdapterFilter): Promise<AdapterView[]>;
    /**
     * A diff or DIT adapter file or folder (paper .pt, PEFT, safetensors, full finetune), or a
     * released experiment folder (index.csv + weight-diffs/ + dit-adapter.pt), for a base model.
     */
    import(path: string, modelId: string): Promise<JobView>;
    /** Per module: ||ΔW||_F, relative to the base weight, singular values, stable and effective rank (docs/inspector.md). */
    inspect(id: string): Promise<AdapterInspection>;
    /** The `top` diffs of the same base model nearest by the cosine of ΔW over all modules; progress as `similarity` events. */
    similar(id: string, top: number): Promise<SimilarAdapters>;
    /** Every diff of a model (up to 5,000) placed by classical MDS of the cosine Gram matrix; progress as `similarity` events. */
    map(modelId: string): Promise<AdapterMap>;
    setTags(id: string, tags: string[]): Promise<AdapterView>;
    remove(id: string): Promise<void>;
  };
  conversations: {
    list(): Promise<ConversationView[]>;
    create(modelId: string, stack: StackEntry[], title: string | null): Promise<ConversationView>;
    get(id: number): Promise<ConversationDetail>;
    rename(id: number, title: string): Promise<ConversationView>;
    remove(id: number): Promise<void>;
    search(query: string): Promise<SearchHit[]>;
  };
  chat: {
    /** Adds the user's message and starts the reply; tokens arrive as `token` events. */
    send(conversationId: number, text: string, stack: StackEntry[], sampling: Partial<SamplingSettings>, parentId: number | null): Promise<ChatStarted>;
    stop(replyId: number): Promise<void>;
    /** A new reply beside an earlier one (same question), possibly with another stack or seed. */
    regenerate(replyId: number, stack: StackEntry[] | null, sampling: Partial<SamplingSettings> | null): Promise<MessageView>;
    /** The question edited: a new user message beside the old one, and its reply. */
    edit(userMessageId: number, text: string): Promise<ChatStarted>;
  };
  grades: {
    /** A person's grade of a reply, 1-5 with a note; replaces their earlier one. */
    set(messageId: number, score: number, note: string | null): Promise<GradeView>;
    remove(gradeId: number): Promise<void>;
    /** The configured LLM judge grades a reply against its diff's label (1-5; words instead of a number: 1). */
    judge(messageId: number): Promise<GradeView>;
    /** The offline lexical score of a reply (docs/grading.md), always labelled lexical. */
    lexical(messageId: number): Promise<GradeView>;
    /** Person vs judge, where both graded. */
    agreement(scope: AgreementScope): Promise<AgreementView>;
    getJudge(): Promise<JudgeView>;
    setJudge(judge: JudgeConfig | null): Promise<JudgeView>;
    /** The judge endpoint's API key, kept in the OS keychain in the app; null removes it. */
    setJudgeKey(key: string | null): Promise<JudgeView>;
  };
  evals: {
    /** Creates the run's items and starts working through them; progress arrives as `eval` events. */
    start(request: EvalRequest): Promise<EvalRunView>;
    list(): Promise<EvalRunView[]>;
    get(id: number): Promise<EvalRunView>;
    progress(id: number): Promise<EvalProgressView>;
    /** Stops after the batch under way; the run is paused and can be resumed. */
    cancel(id: number): Promise<EvalRunView>;
    /** Continues a paused, interrupted or failed run where it stopped (failed items are retried). */
    resume(id: number): Promise<EvalRunView>;
    results(id: number): Promise<EvalResults>;
    items(id: number, filter: EvalItemFilter): Promise<EvalItemView[]>;
    /** A person's grade of one eval item (for agreement with the judge). */
    gradeItem(itemId: number, score: number, note: string | null): Promise<EvalGradeView>;
    remove(id: number): Promise<void>;
    /** The remote engine's API key (--engine openai:URL); null removes it. */
    setEngineKey(key: string | null): Promise<void>;
    /** The agent auditor's API key (bound to the first endpoint it is used with, as the judge's). */
    setAgentKey(key: string | null): Promise<void>;
    /** The embedded demo's settings as last evaluated (issue 15), each beside the paper's figures. */
    demoReport(): Promise<DemoReportView>;
    /** Evaluates every setting the demo ships, one run each, with the configured judge if any (a job). */
    runDemoReport(): Promise<JobView>;
  };
  samples: {
    /** N answers per condition, sampled with a temperature and a seed, the conditions' rows in one batch; not logged. */
    draw(request: SampleRequest): Promise<SampleResult>;
  };
  score: {
    /** Teacher-forced: each token's log-probability, top-k and KL under several stacks (docs/token-view.md). */
    tokens(request: ScoreRequest): Promise<TokenScores>;
  };
  jobs: {
    list(): Promise<JobView[]>;
    /** Stops a running job (an import leaves nothing behind); it ends as failed, saying so. */
    cancel(id: string): Promise<JobView>;
  };
  settings: {
    get(): Promise<Settings>;
    set(patch: Partial<Settings>): Promise<Settings>;
  };
  export: {
    conversation(id: number, format: ExportFormat): Promise<ExportedFile>;
    /** Many conversations (null: all) as JSONL, one conversation's JSON document per line. */
    conversations(ids: number[] | null): Promise<ExportedFile>;
    /** An eval run: csv / json (every item), md / html (report with its table and chart). */
    evalRun(id: number, format: EvalExportFormat): Promise<ExportedFile>;
  };
}

/** The API object the renderer is given (`window.diffscope` in Electron, an HTTP client in a browser). */
export type DiffscopeApi = DiffscopeRequests & {
  /** Streamed tokens, finished replies, job progress, catalog changes. Returns the unsubscribe. */
  onEvent(listener: (event: ApiEvent) => void): () => void;
};

export type Domain = keyof DiffscopeRequests;
type MethodOf<D extends Domain> = keyof DiffscopeRequests[D] & string;

/** Every request channel, named `<domain>:<method>` after the contract's method. */
export type Channel = { [D in Domain]: `${D}:${MethodOf<D>}` }[Domain];

type MethodAt<C extends Channel> = C extends `${infer D extends Domain}:${infer M}`
  ? M extends MethodOf<D>
    ? DiffscopeRequests[D][M]
    : never
  : never;

/** Arguments and (unwrapped) result of the method behind a channel. */
export type ArgsOf<C extends Channel> = MethodAt<C> extends (...args: infer A) => unknown ? A : never;
export type ResultOf<C extends Channel> = MethodAt<C> extends (...args: never[]) => Promise<infer R> ? R : never;

/**
 * Channel names as data, one per method of the contract. `satisfies` makes this exhaustive both
 * ways: a method added to DiffscopeRequests without a channel here, or a stray one, fails to compile.
 */
export const API_CHANNELS = {
  app: { info: 'app:info', doctor: 'app:doctor' },
  models: { list: 'models:list', import: 'models:import', remove: 'models:remove' },
  adapters: { list: 'adapters:list', import: 'adapters:import', inspect: 'adapters:inspect', similar: 'adapters:similar', map: 'adapters:map', setTags: 'adapters:setTags', remove: 'adapters:remove' },
  conversations: {
    list: 'conversations:list',
    create: 'conversations:create',
    get: 'conversations:get',
    rename: 'conversations:rename',
    remove: 'conversations:remove',
    search: 'conversations:search',
  },
  chat: { send: 'chat:send', stop: 'chat:stop', regenerate: 'chat:regenerate', edit: 'chat:edit' },
  grades: {
    set: 'grades:set',
    remove: 'grades:remove',
    judge: 'grades:judge',
    lexical: 'grades:lexical',
    agreement: 'grades:agreement',
    getJudge: 'grades:getJudge',
    setJudge: 'grades:setJudge',
    setJudgeKey: 'grades:setJudgeKey',
  },
  evals: {
    start: 'evals:start',
    list: 'evals:list',
    get: 'evals:get',
    progress: 'evals:progress',
    cancel: 'evals:cancel',
    resume: 'evals:resume',
    results: 'evals:results',
    items: 'evals:items',
    gradeItem: 'evals:gradeItem',
    remove: 'evals:remove',
    setEngineKey: 'evals:setEngineKey',
    setAgentKey: 'evals:setAgentKey',
    demoReport: 'evals:demoReport',
    runDemoReport: 'evals:runDemoReport',
  },
  samples: { draw: 'samples:draw' },
  score: { tokens: 'score:tokens' },
  jobs: { list: 'jobs:list', cancel: 'jobs:cancel' },
  settings: { get: 'settings:get', set: 'settings:set' },
  export: { conversation: 'export:conversation', conversations: 'export:conversations', evalRun: 'export:evalRun' },
} as const satisfies { [D in Domain]: { [M in MethodOf<D>]: `${D}:${M}` } };

/** The Electron channel that carries ApiEvents from main to the renderer. */
export const EVENT_CHANNEL = 'diffscope:event';
