// One question under several conditions, side by side. Each condition gets a conversation of its
// own (conversations.create + chat.send), so every column is logged, gradable and exportable like
// any chat.
import type { ConversationView, DiffscopeApi, GradeView, MessageView, StackEntry } from '../../../../shared/api.ts';
import type { NoticesState } from '../../state/notices.svelte.ts';
import type { StreamsState } from '../../state/streams.svelte.ts';
import type { ChatState } from '../chat/chat.svelte.ts';
import { samplingForQuestion, TOPIC_QUESTION } from '../chat/presets.ts';
import { partEntry } from '../chat/stack.ts';
import { withMessageGrade } from '../grading/grading.ts';
import { compareTitle, nextCompareNumber } from './compare-titles.ts';
import { compareConditions, type Condition } from './conditions.ts';

export interface Column {
  condition: Condition;
  conversationId: number | null;
  question: string;
  reply: MessageView | null;
  error: string | null;
}

export class CompareState {
  question = $state(TOPIC_QUESTION);
  columns = $state<Column[]>([]);
  starting = $state(false);
  /** The diff the shown columns were asked with (null: the base model alone). */
  askedDiffId = $state<string | null>(null);
  #number = 0;

  running = $derived(this.columns.some((c) => c.reply?.status === 'streaming'));
  conditions = $derived.by(() => {
    const { diff, dit } = this.#chat.draft;
    const part = (p: typeof diff, role: StackEntry['role']): StackEntry | null => (p ? partEntry(p, role) : null);
    return compareConditions(part(diff, 'diff'), part(dit, 'dit'), this.#chat.diff?.trigger ?? null);
  });

  readonly #api: DiffscopeApi;
  readonly #conversations: () => readonly ConversationView[];
  readonly #chat: ChatState;
  readonly #streams: StreamsState;
  readonly #notices: NoticesState;

  constructor(api: DiffscopeApi, chat: ChatState, streams: StreamsState, notices: NoticesState, conversations: () => readonly ConversationView[]) {
    this.#api = api;
    this.#conversations = conversations;
    this.#chat = chat;
    this.#streams = streams;
    this.#notices = notices;
  }

  async run(): Promise<void> {
    const modelId = this.#chat.draft.modelId;
    const question = this.question.trim();
    if (!modelId || !question || this.starting) return;
    this.starting = true;
    this.askedDiffId = this.#chat.draft.diff?.adapterId ?? null;
    this.#number = nextCompareNumber(this.#conversations());
    this.columns = this.conditions.map((condition) => ({ condition, conversationId: null, question: condition.prefix + question, reply: null, error: null }));
    await Promise.all(this.columns.map((_, i) => this.#start(i, modelId)));
    this.starting = false;
  }

  async stop(): Promise<void> {
    const streaming = this.columns.flatMap((c) => (c.reply?.status === 'streaming' ? [c.reply.id] : []));
    await this.#notices.guard('Stopping', () => Promise.all(streaming.map((id) => this.#api.chat.stop(id))));
  }

  upsert(message: MessageView): void {
    const column = this.columns.find((c) => c.reply?.id === message.id);
    if (column && !(message.status === 'streaming' && column.reply?.status !== 'streaming')) column.reply = message;
  }

  setGrade(grade: GradeView): void {
    const column = this.columns.find((c) => c.reply?.id === grade.messageId);
    if (column?.reply) column.reply = withMessageGrade(column.reply, grade);
  }

  async #start(i: number, modelId: string): Promise<void> {
    const column = this.columns[i]!;
    const { stack, label } = column.condition;
    try {
      const conversation = await this.#api.conversations.create(modelId, stack, compareTitle(this.#number, label));
      column.conversationId = conversation.id;
      const started = await this.#api.chat.send(conversation.id, column.question, stack, samplingForQuestion(column.question), null);
      column.reply = this.#streams.latest(started.reply);
    } catch (err) {
      column.error = err instanceof Error ? err.message : String(err);
    }
  }
}
