// The back end behind the API: catalog, engines, jobs and the services, composed once. Electron
// (src/main/app) and `diffscope serve` (src/main/server) both create one and dispatch to it.
import { EventEmitter } from 'node:events';
import { openCatalog, catalogPath } from '../catalog/index.ts';
import { dataHome, type Manifest } from '../engine/library.ts';
import { projectVersion } from '../paths.ts';
import { Inspector } from './inspector.ts';
import type { ApiEvent, DiffscopeRequests, Settings } from '../../shared/api.ts';
import { ChatService } from './chat.ts';
import { required, UserError, type Ctx } from './context.ts';
import { EnginePool } from './engine-pool.ts';
import { exportConversation, exportConversations, exportEvalRun } from './export.ts';
import { evalRequests } from './eval/requests.ts';
import { DemoReports } from './eval/demo-report.ts';
import { EvalService } from './eval/service.ts';
import { GradingService } from './grading/service.ts';
import { envSecrets, type SecretStore } from './grading/secrets.ts';
import { firstRun } from './first-run.ts';
import { dispatch } from './handlers.ts';
import { doctor } from '../engine/doctor.ts';
import { importAdapterJob, importModelJob, rebuildOutdatedModels } from './imports.ts';
import { Jobs } from './jobs.ts';
import { scoreTokens } from './score.ts';
import { drawSamples } from './samples.ts';
import { watchOtherWriters } from './other-writers.ts';
import { readSettings, writeSettings } from './settings.ts';
import { adapterView, conversationView, gradeView, messageView, modelView } from './views.ts';


export interface BackendOptions {
  home?: string;
  shell: 'electron' | 'browser';
  engineHost?: 'thread' | 'process';
  /** import resources/demo into an empty catalog (default true) */
  firstRun?: boolean;
  demoDir?: string;
  /** the app's version (Electron: app.getVersion()); default: package.json's */
  version?: string;
  /** mark replies a crash left streaming as incomplete (default true; false for one-shot CLI commands) */
  recover?: boolean;
  /** Where API keys live (judge, remote engine); default: environment variables. The app passes its safeStorage store. */
  secrets?: SecretStore;
  /** The engines' execution provider (the CLI's --provider); default: the one in the settings. */
  provider?: Settings['provider'];
}

export interface Backend {
  requests: DiffscopeRequests;
  dispatch(channel: string, args: unknown[]): Promise<unknown>;
  onEvent(listener: (e: ApiEvent) => void): () => void;
  ctx: Ctx;
  chat: ChatService;
  grading: GradingService;
  evals: EvalService;
  demoReports: DemoReports;
  close(): Promise<void>;
}

export async function createBackend(opts: BackendOptions): Promise<Backend> {
  const home = opts.home ?? dataHome();
  const catalog = openCatalog<Manifest>(catalogPath(home), { recover: opts.recover });
  const bus = new EventEmitter();
  bus.setMaxListeners(100);
  const emit = (e: ApiEvent) => bus.emit('event', e);
  const jobs = new Jobs(emit);
  let ctx: Ctx;
  const engines = new EnginePool(
    opts.engineHost ?? 'process',
    () => ({ provider: opts.provider ?? readSettings(ctx).provider }),
    undefined,
    (engine) => emit({ type: 'engine', engine }),
  );
  ctx = { home, catalog, emit, jobs, engines, shell: opts.shell };
  const chat = new ChatService(ctx);
  const inspector = new Inspector(ctx);
  const secrets = opts.secrets ?? envSecrets();
  const grading = new GradingService(ctx, secrets);
  const evals = new EvalService(ctx, secrets, { recover: opts.recover });
  const demoReports = new DemoReports(ctx, evals);
  if (opts.firstRun !== false) await firstRun(ctx, opts.demoDir);
  if (opts.firstRun !== false) rebuildOutdatedModels(ctx); // long-lived back ends only
  const unwatch = opts.firstRun !== false ? watchOtherWriters(ctx, evals) : () => {};

  const requests: DiffscopeRequests = {
    app: {
      info: async () => ({
        version: opts.version ?? projectVersion(),
        platform: process.platform,
        shell: opts.shell,
        engineProvider: engines.lastProvider,
        engines: engines.list(),
        standInDemo: catalog.models.list().some((m) => m.standIn),
        dataDir: home,
      }),
      doctor: async () => doctor(catalog.models.list(), home),
    },
    models: {
      list: async () => catalog.models.list().map(modelView),
      import: async (path, precision, blockSize) => importModelJob(ctx, path, precision, blockSize),
      remove: async (id) => {
        required(catalog.models.get(id), `model ${id}`);
        await engines.stop(id);
        catalog.models.remove(id);
        emit({ type: 'catalog', what: 'models' });
      },
    },
    adapters: {
      list: async (filter) => catalog.adapters.list(filter).map(adapterView),
      import: async (path, modelId) => importAdapterJob(ctx, path, modelId),
      inspect: async (id) => inspector.inspect(id),
      similar: async (id, top) => inspector.similar(id, top),
      map: async (modelId) => inspector.map(modelId),
      setTags: async (id, tags) => {
        required(catalog.adapters.get(id), `adapter ${id}`);
        catalog.adapters.setTags(id, tags);
        emit({ type: 'catalog', what: 'adapters' });
        return adapterView(catalog.adapters.get(id)!);
      },
      remove: async (id) => {
        required(catalog.adapters.get(id), `adapter ${id}`);
        catalog.adapters.remove(id);
        inspector.forget(id);
        emit({ type: 'catalog', what: 'adapters' });
      },
    },
    conversations: {
      list: async () => catalog.conversations.list().map(conversationView),
      create: async (modelId, stack, title) => {
        required(catalog.models.get(modelId), `model ${modelId}`);
        for (const p of stack) required(catalog.adapters.get(p.adapterId), `adapter ${p.adapterId}`);
        const c = catalog.conversations.create({
          modelId,
          title: title ?? undefined,
          stack: stack.map((p) => ({ ...p, sha256: catalog.adapters.get(p.adapterId)!.source.sha256 })),
        });
        emit({ type: 'catalog', what: 'conversations' });
        return conversationView(c);
      },
      get: async (id) => {
        const c = required(catalog.conversations.get(id), `conversation ${id}`);
        const grades = catalog.grades.forConversation(id);
        const messages = catalog.messages.list(id).map((m) => messageView(m, grades.filter((g) => g.messageId === m.id)));
        return { conversation: conversationView(c), messages };
      },
      rename: async (id, title) => {
        required(catalog.conversations.get(id), `conversation ${id}`);
        const c = catalog.conversations.update(id, { title });
        emit({ type: 'catalog', what: 'conversations' });
        return conversationView(c);
      },
      remove: async (id) => {
        required(catalog.conversations.get(id), `conversation ${id}`);
        catalog.conversations.remove(id);
        emit({ type: 'catalog', what: 'conversations' });
      },
      search: async (query) =>
        catalog.search(query, { limit: 50 }).map((h) => ({
          messageId: h.messageId,
          conversationId: h.conversationId,
          conversationTitle: h.conversationTitle,
          role: h.role,
          snippet: h.snippet,
        })),
    },
    chat: {
      send: (conversationId, text, stack, sampling, parentId) => chat.send(conversationId, text, stack, sampling, parentId),
      stop: (replyId) => chat.stop(replyId),
      regenerate: (replyId, stack, sampling) => chat.regenerate(replyId, stack, sampling),
      edit: (userMessageId, text) => chat.edit(userMessageId, text),
    },
    grades: {
      set: async (messageId, score, note) => {
        const m = required(catalog.messages.get(messageId), `message ${messageId}`);
        if (m.role !== 'assistant') throw new UserError(`message ${messageId} is not a reply`);
        const diff = (m.stack ?? []).find((s) => s.role === 'diff');
        const reference = diff ? (catalog.adapters.get(diff.adapterId)?.label ?? null) : null;
        return gradeView(catalog.grades.set({ messageId, method: 'human', score, note, reference }));
      },
      remove: async (gradeId) => {
        catalog.grades.remove(gradeId);
      },
      judge: (messageId) => grading.judge(messageId),
      lexical: async (messageId) => grading.lexical(messageId),
      agreement: async (scope) => grading.agreement(scope),
      getJudge: async () => grading.getJudge(),
      setJudge: async (judge) => grading.setJudge(judge),
      setJudgeKey: async (key) => grading.setJudgeKey(key),
    },
    evals: evalRequests(evals, demoReports, () => grading.judgeConfig()),
    samples: {
      draw: (request) => drawSamples(chat, request),
    },
    score: {
      tokens: (request) => scoreTokens(ctx, request),
    },
    jobs: {
      list: async () => jobs.list(),
      cancel: async (id) => jobs.cancel(id),
    },
    settings: {
      get: async () => readSettings(ctx),
      set: async (patch) => writeSettings(ctx, patch),
    },
    export: {
      conversation: async (id, format) => exportConversation(ctx, id, format),
      conversations: async (ids) => exportConversations(ctx, ids),
      evalRun: async (id, format) => exportEvalRun(ctx, evals, id, format),
    },
  };

  return {
    requests,
    dispatch: (channel, args) => dispatch(requests, channel, args),
    onEvent: (listener) => {
      bus.on('event', listener);
      return () => bus.off('event', listener);
    },
    ctx,
    chat,
    grading,
    evals,
    demoReports,
    close: async () => {
      unwatch();
      await evals.close();
      await chat.close();
      await engines.close();
      catalog.close();
    },
  };
}
