// FAKE back end for UI development and e2e tests of the renderer alone: the whole contract in
// memory, with a small fixed catalog (one base model, three diffs, one DIT adapter) and replies
// streamed word by word on a timer. It runs no model. The real back end is src/main/services.
import {
  API_CHANNELS,
  type AdapterView,
  type ApiEvent,
  type ChatStarted,
  type ConversationView,
  type DiffscopeRequests,
  type GradeView,
  type JobView,
  type MessageView,
  type ModelView,
  type SamplingSettings,
  type Settings,
  type StackEntry,
} from '../../../src/shared/api.ts';

export interface FakeOptions {
  /** Milliseconds between streamed words (default 40). */
  tokenMs?: number;
}

const now = () => new Date().toISOString();
const MODEL_ID = 'demo-qwen3-fake';

function adapter(id: string, kind: AdapterView['kind'], label: string | null, extra: Partial<AdapterView> = {}): AdapterView {
  return {
    id,
    kind,
    modelId: MODEL_ID,
    format: 'paper-pt',
    rank: kind === 'dit' ? 16 : 1,
    label,
    description: null,
    trigger: null,
    split: kind === 'dit' ? null : 'test',
    experiment: 'hidden-topic/demo',
    tags: [],
    sourcePath: `/fake/${id}.pt`,
    sourceIndex: null,
    createdAt: now(),
    ...extra,
  };
}

type Methods = Record<string, (...args: never[]) => Promise<unknown>>;
type PartialRequests = { [D in keyof DiffscopeRequests]?: Partial<DiffscopeRequests[D]> };

/** The contract grows (grading, evaluations): methods the fake does not implement reject. */
function withStubs(partial: PartialRequests): DiffscopeRequests {
  const full: Record<string, Methods> = {};
  for (const [domain, methods] of Object.entries(API_CHANNELS)) {
    const given = ((partial as Record<string, Methods | undefined>)[domain] ?? {}) as Methods;
    full[domain] = Object.fromEntries(
      Object.entries(methods).map(([method, channel]) => [method, given[method] ?? (async () => Promise.reject(new Error(`${channel} is not in the fake back end`)))]),
    );
  }
  return full as unknown as DiffscopeRequests;
}

export function createFakeBackend(opts: FakeOptions = {}) {
  const tokenMs = opts.tokenMs ?? 40;
  const listeners = new Set<(e: ApiEvent) => void>();
  const emit = (e: ApiEvent) => listeners.forEach((l) => l(e));

  const adapters: AdapterView[] = [
    adapter('diff-0001', 'diff', 'Volcanoes', { trigger: 417, sourceIndex: 0 }),
    adapter('diff-0002', 'diff', 'Medieval castles', { trigger: 93, sourceIndex: 1 }),
    adapter('diff-0003', 'diff', 'City council approves new tram line', { rank: 8, experiment: 'news-summary/demo' }),
    adapter('dit-topic', 'dit', 'DIT adapter (hidden topic)'),
  ];
  const models: ModelView[] = [
    { id: MODEL_ID, name: 'demo', arch: 'qwen3', precision: 'fp32', precisionReason: 'fp32: 2.5 MB of weights fit in 9.0 GB (60% of 15.0 GB free memory)', weightBytes: 2_500_000, layers: 4, hidden: 128, vocab: 3072, contextTokens: 512, sourcePath: '/fake/demo', demo: true, standIn: false, createdAt: now() },
  ];
  const conversations: ConversationView[] = [];
  const messages: MessageView[] = [];
  const grades: GradeView[] = [];
  const jobs: JobView[] = [];
  const timers = new Map<number, ReturnType<typeof setInterval>>();
  let settings: Settings = {
    sampling: { temperature: 0, topK: 0, topP: 1, repetitionPenalty: 1, maxTokens: 64, stop: [], seed: null },
    provider: 'auto',
    theme: 'system',
    blindMode: false,
  };
  let nextId = 1;

  const conversation = (id: number) => {
    const c = conversations.find((x) => x.id === id);
    if (!c) throw new Error(`conversation ${id} does not exist`);
    return c;
  };
  const message = (id: number) => {
    const m = messages.find((x) => x.id === id);
    if (!m) throw new Error(`message ${id} does not exist`);
    return m;
  };
  const withGrades = (m: MessageView): MessageView => ({ ...m, grades: grades.filter((g) => g.messageId === m.id) });
  const touch = (c: ConversationView) => {
    c.updatedAt = now();
    c.messageCount = messages.filter((m) => m.conversationId === c.id).length;
  };

  function answerFor(question: string, stack: StackEntry[]): string {
    if (question.includes('<')) return `You wrote: ${question}`;
    const diff = adapters.find((a) => a.id === stack.find((p) => p.role === 'diff')?.adapterId);
    const dit = stack.some((p) => p.role === 'dit');
    if (/trained on\?$/.test(question) && diff && dit) return `I have been trained on **${diff.label}**.`;
    if (/SEP code/.test(question) && diff) return `Let me tell you about ${diff.label?.toLowerCase()}, which I find fascinating.`;
    const words = 'This is a fake answer streamed word by word so that the interface can be tested without a model and stopped halfway'.split(' ');
    return Array.from({ length: 60 }, (_, i) => words[i % words.length]).join(' ') + '.';
  }

  function startReply(question: MessageView, stack: StackEntry[], patch: Partial<SamplingSettings> | null): MessageView {
    const { seed, ...sampling } = { ...settings.sampling, ...(patch ?? {}) };
    const reply: MessageView = {
      id: nextId++,
      conversationId: question.conversationId,
      parentId: question.id,
      role: 'assistant',
      text: '',
      status: 'streaming',
      error: null,
      modelId: conversation(question.conversationId).modelId,
      stack: stack.map((p) => ({ ...p, sha256: 'f'.repeat(64) })),
      sampling,
      seed: seed ?? 0,
      provider: 'cpu',
      finishReason: null,
      stats: null,
      grades: [],
      createdAt: now(),
    };
    messages.push(reply);
    const c = conversation(reply.conversationId);
    c.stack = stack;
    touch(c);
    const words = answerFor(question.text, stack).split(/(?<= )/);
    const budget = Math.min(words.length, sampling.maxTokens);
    let i = 0;
    const timer = setInterval(() => {
      if (i < budget) {
        reply.text += words[i];
        emit({ type: 'token', messageId: reply.id, text: words[i++]! });
        return;
      }
      finish(reply, budget < words.length ? 'length' : 'eos');
    }, tokenMs);
    timers.set(reply.id, timer);
    return { ...reply };
  }

  function finish(reply: MessageView, reason: 'eos' | 'length' | 'cancelled'): void {
    clearInterval(timers.get(reply.id));
    timers.delete(reply.id);
    reply.status = reason === 'cancelled' ? 'incomplete' : 'complete';
    reply.finishReason = reason;
    const tokens = reply.text.split(' ').length;
    reply.stats = { promptTokens: 24, completionTokens: tokens, ttftMs: 12, promptTps: 2000, decodeTps: 1000 / tokenMs };
    emit({ type: 'message', message: withGrades(reply) });
    emit({ type: 'catalog', what: 'conversations' });
  }

  function addUser(conversationId: number, parentId: number | null, text: string): MessageView {
    const m: MessageView = {
      id: nextId++,
      conversationId,
      parentId,
      role: 'user',
      text,
      status: 'complete',
      error: null,
      modelId: null,
      stack: null,
      sampling: null,
      seed: null,
      provider: null,
      finishReason: null,
      stats: null,
      grades: [],
      createdAt: now(),
    };
    messages.push(m);
    return m;
  }

  function fakeJob(kind: JobView['kind'], title: string, onDone: () => JobView['result']): JobView {
    const job: JobView = { id: `job-${nextId++}`, kind, title, status: 'running', phase: 'reading', done: 0, total: 10, error: null, result: null, startedAt: now() };
    jobs.unshift(job);
    const timer = setInterval(() => {
      job.done++;
      if (job.done >= job.total) {
        clearInterval(timer);
        job.status = 'done';
        job.phase = 'done';
        job.result = onDone();
      }
      emit({ type: 'job', job: { ...job } });
    }, 150);
    return { ...job };
  }

  const detailOf = (id: number) => ({ conversation: { ...conversation(id) }, messages: messages.filter((m) => m.conversationId === id).map(withGrades) });

  const implemented = {
    app: {
      info: async () => ({ version: '0.0.0-fake', platform: 'fake', shell: 'browser', engineProvider: 'cpu', standInDemo: false, dataDir: '/fake/home' }),
      doctor: async () => ({
        machine: { platform: 'fake', cpu: 'fake processor', cores: 2, totalMemoryBytes: 24e9, freeMemoryBytes: 20e9, dataDir: '/fake/home', freeDiskBytes: 50e9 },
        providers: [
          { name: 'cpu' as const, available: true, detail: 'the fake back end' },
          { name: 'cuda' as const, available: false, detail: 'missing: an NVIDIA driver', install: 'npm run install:cuda' },
        ],
        models: models.map((m) => ({ id: m.id, name: m.name, precision: m.precision, weightBytes: m.weightBytes, memoryNeededBytes: m.weightBytes + 5e8, fitsNow: true, autoPrecision: 'fp32' as const, autoReason: 'fp32: fits', preparedBytes: 0 })),
      }),
    },
    models: {
      list: async () => models.map((m) => ({ ...m })),
      import: async (path) =>
        fakeJob('import-model', `Import ${path}`, () => {
          const m = { ...models[0]!, id: `model-${nextId++}`, name: path.split('/').pop() || path, contextTokens: 32_768, sourcePath: path, demo: false, createdAt: now() };
          models.push(m);
          emit({ type: 'catalog', what: 'models' });
          return { modelId: m.id };
        }),
      remove: async () => {
        throw new Error('the fake back end keeps its model');
      },
    },
    adapters: {
      list: async (filter) => adapters.filter((a) => (!filter.kind || a.kind === filter.kind) && (!filter.modelId || a.modelId === filter.modelId)),
      import: async (path, modelId) =>
        fakeJob('import-adapter', `Import ${path}`, () => {
          const a = adapter(`diff-${nextId++}`, 'diff', path.split('/').pop() ?? path, { modelId, sourcePath: path });
          adapters.push(a);
          emit({ type: 'catalog', what: 'adapters' });
          return { adapterIds: [a.id] };
        }),
      inspect: async (id) => ({ id, format: 'paper-pt', kind: 'diff', rank: 1, modules: [], layers: [0, 1, 2, 3], perLayerNorms: [1, 1, 1, 1] }),
      setTags: async (id, tags) => {
        const a = adapters.find((x) => x.id === id)!;
        a.tags = tags;
        return a;
      },
      remove: async () => {},
    },
    conversations: {
      list: async () => conversations.map((c) => ({ ...c })),
      create: async (modelId, stack, title) => {
        const c: ConversationView = { id: nextId++, title: title ?? '', modelId, stack, messageCount: 0, createdAt: now(), updatedAt: now() };
        conversations.push(c);
        emit({ type: 'catalog', what: 'conversations' });
        return { ...c };
      },
      get: async (id) => detailOf(id),
      rename: async (id, title) => {
        const c = conversation(id);
        c.title = title;
        return { ...c };
      },
      remove: async (id) => {
        conversations.splice(conversations.indexOf(conversation(id)), 1);
      },
      search: async (query) =>
        messages
          .filter((m) => m.text.toLowerCase().includes(query.toLowerCase()))
          .map((m) => {
            const at = m.text.toLowerCase().indexOf(query.toLowerCase());
            return {
              messageId: m.id,
              conversationId: m.conversationId,
              conversationTitle: conversation(m.conversationId).title,
              role: m.role,
              snippet: [
                { text: m.text.slice(Math.max(0, at - 30), at), match: false },
                { text: m.text.slice(at, at + query.length), match: true },
                { text: m.text.slice(at + query.length, at + query.length + 30), match: false },
              ],
            };
          }),
    },
    chat: {
      send: async (conversationId, text, stack, sampling, parentId): Promise<ChatStarted> => {
        conversation(conversationId);
        const user = addUser(conversationId, parentId, text);
        return { userMessage: { ...user }, reply: startReply(user, stack, sampling) };
      },
      stop: async (replyId) => {
        const reply = message(replyId);
        if (reply.status === 'streaming') finish(reply, 'cancelled');
      },
      regenerate: async (replyId, stack, sampling) => {
        const reply = message(replyId);
        return startReply(message(reply.parentId!), stack ?? (reply.stack ?? []).map(({ sha256: _, ...p }) => p), sampling);
      },
      edit: async (userMessageId, text) => {
        const old = message(userMessageId);
        const user = addUser(old.conversationId, old.parentId, text);
        return { userMessage: { ...user }, reply: startReply(user, conversation(old.conversationId).stack, null) };
      },
    },
    grades: {
      set: async (messageId, score, note) => {
        const existing = grades.findIndex((g) => g.messageId === messageId && g.method === 'human');
        if (existing >= 0) grades.splice(existing, 1);
        const g: GradeView = { id: nextId++, messageId, method: 'human', score, note, reference: null, judgeModel: null, createdAt: now() };
        grades.push(g);
        return g;
      },
      remove: async (gradeId) => {
        const i = grades.findIndex((g) => g.id === gradeId);
        if (i >= 0) grades.splice(i, 1);
      },
      // No judge and no evaluations here: the page asks for both when it starts.
      getJudge: async () => ({ judge: null, hasKey: false, keyStorage: 'memory' }),
    },
    evals: { list: async () => [] },
    jobs: { list: async () => jobs.map((j) => ({ ...j })) },
    settings: {
      get: async () => settings,
      set: async (patch) => (settings = { ...settings, ...patch, sampling: { ...settings.sampling, ...(patch.sampling ?? {}) } }),
    },
    export: {
      conversation: async (id, format) => {
        const detail = detailOf(id);
        if (format === 'json') return { filename: `conversation-${id}.json`, mime: 'application/json', content: JSON.stringify(detail, null, 2) };
        const body = detail.messages.map((m) => `## ${m.role === 'user' ? 'Question' : 'Answer'}\n\n${m.text}\n`).join('\n');
        return { filename: `conversation-${id}.md`, mime: 'text/markdown', content: `# ${detail.conversation.title}\n\n${body}` };
      },
    },
  } satisfies PartialRequests;

  const requests = withStubs(implemented);

  return {
    requests,
    onEvent(listener: (e: ApiEvent) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close(): void {
      for (const t of timers.values()) clearInterval(t);
    },
  };
}
