// The open conversation: its message tree, the branch shown, the stack the next turn uses, and
// the turn actions (send, stop, regenerate, edit). A new chat has no conversation until its first
// question; then one is created with the stack of that moment.
import type { AdapterView, ConversationView, DiffscopeApi, GradeView, MessageView, SamplingSettings, StackModule } from '../../../../shared/api.ts';
import type { CatalogState } from '../../state/catalog.svelte.ts';
import type { NoticesState } from '../../state/notices.svelte.ts';
import type { StreamsState } from '../../state/streams.svelte.ts';
import { withMessageGrade } from '../grading/grading.ts';
import { attach, draftFrom, emptyDraft, roleOf, stackOf, type Role, type StackDraft } from './stack.ts';
import { choicesFor, forkKey, thread, type Choices } from './thread.ts';

const titleOf = (text: string) => (text.length > 60 ? `${text.slice(0, 57).trimEnd()}…` : text);

export class ChatState {
  readonly #api: DiffscopeApi;
  readonly #catalog: CatalogState;
  readonly #streams: StreamsState;
  readonly #notices: NoticesState;

  conversation = $state<ConversationView | null>(null);
  messages = $state<MessageView[]>([]);
  choices = $state<Choices>({});
  draft = $state<StackDraft>(emptyDraft(null));
  busy = $state(false);

  steps = $derived(thread(this.messages, this.choices));
  /** The reply being generated on the shown branch, if any. */
  streaming = $derived(this.steps.find((s) => s.message.status === 'streaming')?.message ?? null);
  model = $derived.by(() => this.#catalog.model(this.draft.modelId));
  diff = $derived.by(() => this.#catalog.adapter(this.draft.diff?.adapterId));
  dit = $derived.by(() => this.#catalog.adapter(this.draft.dit?.adapterId));

  constructor(api: DiffscopeApi, catalog: CatalogState, streams: StreamsState, notices: NoticesState) {
    this.#api = api;
    this.#catalog = catalog;
    this.#streams = streams;
    this.#notices = notices;
  }

  /** Picks a base model once the catalog has one (the demo on first start). */
  ensureModel(): void {
    if (this.draft.modelId && this.#catalog.model(this.draft.modelId)) return;
    const model = this.#catalog.models.find((m) => m.demo) ?? this.#catalog.models[0];
    if (model) this.draft = emptyDraft(model.id);
  }

  /** A fresh chat; the stack stays as it is unless another base model is asked for. */
  newChat(modelId: string | null = this.draft.modelId): void {
    this.conversation = null;
    this.messages = [];
    this.choices = {};
    if (modelId !== this.draft.modelId) this.draft = emptyDraft(modelId);
  }

  async open(id: number, showMessageId?: number): Promise<void> {
    const detail = await this.#notices.guard('Opening the conversation', () => this.#api.conversations.get(id));
    if (!detail) return;
    this.conversation = detail.conversation;
    this.messages = detail.messages;
    this.choices = showMessageId === undefined ? {} : choicesFor(detail.messages, showMessageId);
    this.draft = draftFrom(detail.conversation.modelId, detail.conversation.stack);
  }

  setModel(modelId: string): void {
    if (modelId !== this.draft.modelId) this.newChat(modelId);
  }

  /** Attaches a diff or DIT adapter; one made for another base model starts a chat on that base. */
  attach(adapter: AdapterView): void {
    if (adapter.modelId !== this.draft.modelId) this.newChat(adapter.modelId);
    this.draft = attach(this.draft, adapter);
  }

  detach(role: Role): void {
    this.draft = { ...this.draft, [role]: null };
  }

  toggle(role: Role): void {
    const part = this.draft[role];
    if (part) this.draft = { ...this.draft, [role]: { ...part, on: !part.on } };
  }

  setScale(role: Role, scale: number): void {
    const part = this.draft[role];
    if (part) this.draft = { ...this.draft, [role]: { ...part, scale } };
  }

  /** Restricts a part to some layers and modules (empty lists: all of them). */
  setWhere(role: Role, layers: number[], modules: StackModule[]): void {
    const part = this.draft[role];
    if (!part) return;
    const { layers: _l, modules: _m, ...rest } = part;
    this.draft = { ...this.draft, [role]: { ...rest, ...(layers.length ? { layers } : {}), ...(modules.length ? { modules } : {}) } };
  }

  isAttached(adapter: AdapterView): boolean {
    return this.draft[roleOf(adapter)]?.adapterId === adapter.id;
  }

  async send(text: string, sampling: Partial<SamplingSettings> = {}): Promise<boolean> {
    const question = text.trim();
    const modelId = this.draft.modelId;
    if (!question || !modelId || this.busy) return false;
    this.busy = true;
    try {
      const stack = stackOf(this.draft);
      const conversation = this.conversation ?? (await this.#api.conversations.create(modelId, stack, titleOf(question)));
      if (!this.conversation) {
        this.conversation = conversation;
        this.messages = [];
        this.choices = {};
      }
      const parentId = this.steps.at(-1)?.message.id ?? null;
      const started = await this.#api.chat.send(conversation.id, question, stack, sampling, parentId);
      this.#show(started.userMessage, started.reply);
      return true;
    } catch (err) {
      this.#notices.error(err, 'Sending the question');
      return false;
    } finally {
      this.busy = false;
    }
  }

  async stop(): Promise<void> {
    const reply = this.streaming;
    if (reply) await this.#notices.guard('Stopping the answer', () => this.#api.chat.stop(reply.id));
  }

  /** Another answer to the same question, with the stack as it is now in the header. */
  async regenerate(reply: MessageView): Promise<void> {
    const next = await this.#notices.guard('Regenerating', () => this.#api.chat.regenerate(reply.id, stackOf(this.draft), null));
    if (next) this.#show(next);
  }

  async edit(userMessage: MessageView, text: string): Promise<void> {
    const started = await this.#notices.guard('Sending the edited question', () => this.#api.chat.edit(userMessage.id, text.trim()));
    if (started) this.#show(started.userMessage, started.reply);
  }

  choose(parentId: number | null, messageId: number): void {
    this.choices = { ...this.choices, [forkKey(parentId)]: messageId };
  }

  /** A message from an event or a request; ignored unless it belongs to the open conversation. */
  upsert(message: MessageView): void {
    if (message.conversationId !== this.conversation?.id) return;
    const latest = this.#streams.latest(message);
    const i = this.messages.findIndex((m) => m.id === latest.id);
    if (i < 0) this.messages.push(latest);
    // A 'streaming' copy that arrives after the finished one is stale.
    else if (latest.status !== 'streaming' || this.messages[i]!.status === 'streaming') this.messages[i] = latest;
  }

  setGrade(grade: GradeView): void {
    const i = this.messages.findIndex((m) => m.id === grade.messageId);
    if (i >= 0) this.messages[i] = withMessageGrade(this.messages[i]!, grade);
  }

  /** Adds new messages and shows them: each becomes the chosen one at its fork. */
  #show(...messages: MessageView[]): void {
    for (const m of messages) this.upsert(m);
    let choices = this.choices;
    for (const m of messages) choices = { ...choices, [forkKey(m.parentId)]: m.id };
    this.choices = choices;
  }
}
