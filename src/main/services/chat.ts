// Chat: a user message, then a reply streamed from the engine with the conversation's branch as
// context. The reply row exists from the first moment (status 'streaming') and its text is saved
// as it grows, so a crash leaves an 'incomplete' reply, never a corrupt one. Regenerate adds a
// sibling reply; edit adds a sibling question with its own reply.
// One-shot questions from the CLI and the OpenAI endpoint come here too: `ask` logs a new
// conversation like any other, `answer` (the OpenAI endpoint, `ask --no-log`) only answers.
import { randomInt } from 'node:crypto';
import type { Message } from '../catalog/index.ts';
import type { AskOptions, AskRow, FileStackEntry } from '../engine/engine.ts';
import type { Answer } from '../engine/client.ts';
import type { ChatMessage } from '../engine/hf/tokenizer.ts';
import type { ChatStarted, MessageView, SamplingSettings, StackEntry } from '../../shared/api.ts';
import { required, UserError, type Ctx } from './context.ts';
import { resolveStack } from './lookup.ts';
import { defaultSettings } from './settings.ts';
import { fromFirstWord } from './first-word.ts';
import { messageView } from './views.ts';

type OnToken = (row: number, t: { id: number; text: string }) => void;

/** A question outside the chat UI: a conversation's turns and a stack of catalog adapters. */
export interface OneShot {
  modelId: string;
  /** system / user / assistant turns, ending with the user's */
  messages: ChatMessage[];
  stack: StackEntry[];
  sampling: Partial<SamplingSettings>;
  /** top-K log-probabilities of each position */
  logprobs?: number;
}

/** `answer` only: what cannot be logged (a raw prompt, adapter files outside the catalog). */
export interface Unlogged extends OneShot {
  /** sent as is instead of `messages`, without the chat template */
  prompt?: string;
  /** adapter files that are not in the catalog, after the catalog stack */
  files?: FileStackEntry[];
}

const SAVE_EVERY_MS = 250;

export class ChatService {
  private readonly running = new Map<number, Answer>();

  constructor(private readonly ctx: Ctx) {}

  private sampling(patch: Partial<SamplingSettings> | null): { sampling: Omit<SamplingSettings, 'seed'>; seed: number } {
    const saved = this.ctx.catalog.settings.get<SamplingSettings>('sampling') ?? defaultSettings.sampling;
    const s = { ...saved, ...(patch ?? {}) };
    const seed = s.seed ?? (s.temperature > 0 ? randomInt(2 ** 31) : 0);
    const { seed: _unused, ...sampling } = s;
    return { sampling, seed };
  }

  private view(m: Message): MessageView {
    return messageView(m, this.ctx.catalog.grades.forMessage(m.id));
  }

  /** An answer budget the model cannot hold fails here, before anything is written, not mid-answer. */
  private checkBudget(modelId: string, patch: Partial<SamplingSettings> | null): void {
    const model = required(this.ctx.catalog.models.get(modelId), `model ${modelId}`);
    const { maxTokens } = this.sampling(patch).sampling;
    const context = model.manifest.maxPositions;
    if (maxTokens >= context) {
      throw new UserError(`max tokens ${maxTokens} does not fit ${model.name}'s context of ${context} tokens (prompt plus answer): use at most ${context - 1}, less the question's length`);
    }
  }

  /**
   * Starts a reply to `question` (a user message) and returns it at once, with the engine's
   * answer (whose result settles after the reply row is finished).
   */
  private async reply(
    question: Message,
    stack: StackEntry[],
    patch: Partial<SamplingSettings> | null,
    extra: { logprobs?: number; onToken?: OnToken } = {},
  ): Promise<{ view: MessageView; answer: Answer }> {
    const { catalog } = this.ctx;
    const conversation = required(catalog.conversations.get(question.conversationId), `conversation ${question.conversationId}`);
    const model = required(catalog.models.get(conversation.modelId), `model ${conversation.modelId}`);
    const { items, refs } = await resolveStack(this.ctx, model.id, stack);
    this.checkBudget(model.id, patch);
    const { sampling, seed } = this.sampling(patch);
    const reply = catalog.messages.startReply({
      conversationId: conversation.id,
      parentId: question.id,
      modelId: model.id,
      stack: items,
      sampling,
      seed,
    });
    catalog.conversations.update(conversation.id, { stack: items });
    const history = catalog.messages
      .branch(question.id)
      .filter((m) => m.role !== 'assistant' || m.status === 'complete' || m.text !== '')
      .map((m) => ({ role: m.role, content: m.text }));

    let text = '';
    let lastSave = Date.now();
    const answer = fromFirstWord(
      (onToken) =>
        this.ctx.engines.ask(
          model.id,
          model.libraryDir,
          [{ messages: history, stack: refs }],
          { maxTokens: sampling.maxTokens, stopStrings: sampling.stop, sampling: { ...sampling, seed }, logprobs: extra.logprobs },
          onToken,
        ),
      (row, t) => {
        extra.onToken?.(row, t);
        text += t.text;
        this.ctx.emit({ type: 'token', messageId: reply.id, text: t.text });
        if (Date.now() - lastSave > SAVE_EVERY_MS) {
          lastSave = Date.now();
          catalog.messages.saveProgress(reply.id, text);
        }
      },
    );
    this.running.set(reply.id, answer);
    answer.result.then(
      ({ rows, stats }) => {
        const row = rows[0];
        const done = catalog.messages.finish(reply.id, {
          text: row.text,
          status: row.finishReason === 'cancelled' ? 'incomplete' : 'complete',
          finishReason: row.finishReason,
          provider: stats.provider,
          stats: {
            promptTokens: stats.promptTokens,
            completionTokens: row.tokens.length,
            ttftMs: stats.ttftMs,
            promptTps: stats.promptTokensPerSec,
            decodeTps: stats.decodeTokensPerSec,
          },
        });
        // The load is reported live, apart from the first-token time (it is not stored with the reply).
        const loadMs = (stats as { loadMs?: number }).loadMs;
        this.settle(reply.id, done, loadMs);
      },
      (err: Error) => {
        const done = catalog.messages.finish(reply.id, { text, status: 'error', error: err.message.split('\n')[0] });
        this.settle(reply.id, done);
      },
    );
    return { view: this.view(reply), answer };
  }

  private settle(id: number, m: Message, loadMs?: number): void {
    this.running.delete(id);
    const view = this.view(m);
    if (view.stats && loadMs !== undefined) view.stats.loadMs = loadMs;
    this.ctx.emit({ type: 'message', message: view });
    this.ctx.emit({ type: 'catalog', what: 'conversations' });
  }

  async send(conversationId: number, text: string, stack: StackEntry[], sampling: Partial<SamplingSettings>, parentId: number | null): Promise<ChatStarted> {
    const { catalog } = this.ctx;
    required(catalog.conversations.get(conversationId), `conversation ${conversationId}`);
    if (text.trim() === '') throw new UserError('the message is empty');
    const parent = parentId ?? catalog.messages.latestLeaf(conversationId)?.id ?? null;
    if (parent !== null) {
      const p = required(catalog.messages.get(parent), `message ${parent}`);
      if (p.conversationId !== conversationId) throw new UserError(`message ${parent} is not in conversation ${conversationId}`);
    }
    const modelId = catalog.conversations.get(conversationId)!.modelId;
    await resolveStack(this.ctx, modelId, stack); // fail before writing anything
    this.checkBudget(modelId, sampling);
    const userMessage = catalog.messages.add({ conversationId, parentId: parent, role: 'user', text });
    const { view: reply } = await this.reply(userMessage, stack, sampling);
    return { userMessage: this.view(userMessage), reply };
  }

  /**
   * A one-shot question, logged: a new conversation holding the given turns, and a reply streamed
   * into it as the chat UI's are (the CLI's `ask`).
   */
  async ask(q: OneShot, onToken?: OnToken): Promise<{ conversationId: number; replyId: number; answer: Answer }> {
    const { catalog } = this.ctx;
    required(catalog.models.get(q.modelId), `model ${q.modelId}`);
    const last = q.messages.at(-1);
    if (!last || last.role !== 'user') throw new UserError("the conversation must end with the user's turn");
    const { items } = await resolveStack(this.ctx, q.modelId, q.stack); // fail before writing anything
    this.checkBudget(q.modelId, q.sampling);
    const title = last.content.replace(/\s+/g, ' ').trim().slice(0, 80);
    const conversation = catalog.conversations.create({ modelId: q.modelId, title, stack: items });
    let question: Message | undefined;
    for (const m of q.messages) {
      question = catalog.messages.add({ conversationId: conversation.id, parentId: question?.id ?? null, role: m.role as Message['role'], text: m.content });
    }
    this.ctx.emit({ type: 'catalog', what: 'conversations' });
    const { view, answer } = await this.reply(question!, q.stack, q.sampling, { logprobs: q.logprobs, onToken });
    return { conversationId: conversation.id, replyId: view.id, answer };
  }

  /**
   * Several one-shot questions to one model, each with its own stack, in one engine run (rows of
   * a batch), not logged: `diffscope demo`.
   */
  async answerBatch(modelId: string, questions: { messages: ChatMessage[]; stack: StackEntry[] }[], sampling: Partial<SamplingSettings>): Promise<Answer> {
    const model = required(this.ctx.catalog.models.get(modelId), `model ${modelId}`);
    const checked = new Set<string>();
    const rows: AskRow[] = [];
    for (const q of questions) rows.push({ messages: q.messages, stack: (await resolveStack(this.ctx, model.id, q.stack, checked)).refs });
    this.checkBudget(model.id, sampling);
    const { sampling: s, seed } = this.sampling(sampling);
    return fromFirstWord((onToken) => this.ctx.engines.ask(model.id, model.libraryDir, rows, { maxTokens: s.maxTokens, stopStrings: s.stop, sampling: { ...s, seed } }, onToken), () => {});
  }

  /** A one-shot question, not logged (the OpenAI endpoint, `ask --no-log`). */
  async answer(q: Unlogged, onToken: OnToken = () => {}): Promise<Answer> {
    const model = required(this.ctx.catalog.models.get(q.modelId), `model ${q.modelId}`);
    const { refs } = await resolveStack(this.ctx, model.id, q.stack);
    this.checkBudget(model.id, q.sampling);
    const stack = [...refs, ...(q.files ?? [])];
    const { sampling, seed } = this.sampling(q.sampling);
    const options: AskOptions = { maxTokens: sampling.maxTokens, stopStrings: sampling.stop, sampling: { ...sampling, seed }, logprobs: q.logprobs };
    if (q.prompt !== undefined) return this.ctx.engines.ask(model.id, model.libraryDir, [{ prompt: q.prompt, stack }], options, onToken);
    return fromFirstWord((cb) => this.ctx.engines.ask(model.id, model.libraryDir, [{ messages: q.messages, stack }], options, cb), onToken);
  }

  async stop(replyId: number): Promise<void> {
    this.running.get(replyId)?.cancel();
  }

  /** Waits for a reply to finish (CLI and tests). */
  async settled(replyId: number): Promise<void> {
    await this.running.get(replyId)?.result.catch(() => undefined);
  }

  async regenerate(replyId: number, stack: StackEntry[] | null, sampling: Partial<SamplingSettings> | null): Promise<MessageView> {
    const { catalog } = this.ctx;
    const old = required(catalog.messages.get(replyId), `message ${replyId}`);
    if (old.role !== 'assistant' || old.parentId === null) throw new UserError(`message ${replyId} is not a reply`);
    const question = catalog.messages.get(old.parentId)!;
    const sameStack = (old.stack ?? []).map(({ adapterId, scale, role }) => ({ adapterId, scale, role }));
    const base: Partial<SamplingSettings> = old.sampling ? { ...old.sampling, seed: null } : {};
    return (await this.reply(question, stack ?? sameStack, { ...base, ...(sampling ?? {}) })).view;
  }

  async edit(userMessageId: number, text: string): Promise<ChatStarted> {
    const { catalog } = this.ctx;
    const old = required(catalog.messages.get(userMessageId), `message ${userMessageId}`);
    if (old.role !== 'user') throw new UserError(`message ${userMessageId} is not a question`);
    if (text.trim() === '') throw new UserError('the message is empty');
    const lastReply = catalog.messages.children(old.id).at(-1);
    const stack = (lastReply?.stack ?? catalog.conversations.get(old.conversationId)!.stack).map(({ adapterId, scale, role }) => ({ adapterId, scale, role }));
    const patch = lastReply?.sampling ? { ...lastReply.sampling, seed: null } : null;
    this.checkBudget(catalog.conversations.get(old.conversationId)!.modelId, patch);
    const userMessage = catalog.messages.add({ conversationId: old.conversationId, parentId: old.parentId, role: 'user', text });
    const { view: reply } = await this.reply(userMessage, stack, patch);
    return { userMessage: this.view(userMessage), reply };
  }

  async close(): Promise<void> {
    for (const a of this.running.values()) a.cancel();
    await Promise.all([...this.running.values()].map((a) => a.result.catch(() => undefined)));
  }
}
