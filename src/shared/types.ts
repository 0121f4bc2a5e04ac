// The shapes that cross the API: what the UI shows and sends. Plain data (JSON-safe).

export interface AppInfo {
  version: string;
  platform: string;
  /** 'electron' or 'browser': how the UI is served */
  shell: 'electron' | 'browser';
  /** Execution provider of the most recently used engine (cpu, cuda, dml, coreml, webgpu). */
  engineProvider?: string;
  /** The demo in the catalog is a random-weight stand-in: its answers mean nothing. */
  standInDemo: boolean;
  dataDir: string;
}

export interface ModelView {
  id: string;
  name: string;
  arch: 'qwen3' | 'llama' | 'gemma3';
  precision: 'fp32' | 'fp16';
  layers: number;
  hidden: number;
  vocab: number;
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
  modules: { count: number; names: string[] };
  layers: number[];
  perLayerNorms: number[];
  label?: string;
  trigger?: string;
  split?: string;
  source?: string;
}

/** One adapter of a stack with its multiplier. */
export interface StackPart {
  adapterId: string;
  scale: number;
  role: 'diff' | 'dit';
}

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
  stack: (StackPart & { sha256: string })[] | null;
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
  stack: StackPart[];
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
  kind: 'import-model' | 'import-adapter' | 'import-experiment' | 'first-run';
  title: string;
  status: 'running' | 'done' | 'failed';
  phase: string;
  done: number;
  total: number;
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

export type ExportFormat = 'md' | 'json';

export interface ExportedFile {
  filename: string;
  mime: string;
  content: string;
}

export type ApiEvent =
  | { type: 'token'; messageId: number; text: string }
  | { type: 'message'; message: MessageView }
  | { type: 'job'; job: JobView }
  | { type: 'catalog'; what: 'models' | 'adapters' | 'conversations' };
