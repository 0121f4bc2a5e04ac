// Conversation search (conversations.search, full text over every message), a little after the
// person stops typing; answers to an older query are dropped.
import type { DiffscopeApi, SearchHit } from '../../../../shared/api.ts';
import type { NoticesState } from '../../state/notices.svelte.ts';

const DELAY_MS = 200;

export class SearchState {
  query = $state('');
  hits = $state<SearchHit[]>([]);
  searched = $state(false);
  active = $derived(this.query.trim() !== '');
  /** One entry per conversation (its best hit first), however many of its messages match. */
  byConversation = $derived(groupByConversation(this.hits));

  readonly #api: DiffscopeApi;
  readonly #notices: NoticesState;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(api: DiffscopeApi, notices: NoticesState) {
    this.#api = api;
    this.#notices = notices;
  }

  set(query: string): void {
    this.query = query;
    this.searched = false;
    clearTimeout(this.#timer);
    if (!this.active) {
      this.hits = [];
      return;
    }
    this.#timer = setTimeout(() => void this.#run(query), DELAY_MS);
  }

  clear(): void {
    this.set('');
  }

  async #run(query: string): Promise<void> {
    const hits = await this.#notices.guard('Searching', () => this.#api.conversations.search(query.trim()));
    if (query !== this.query) return;
    this.hits = hits ?? [];
    this.searched = true;
  }
}

export interface ConversationHits {
  first: SearchHit;
  count: number;
}

export function groupByConversation(hits: SearchHit[]): ConversationHits[] {
  const groups = new Map<number, ConversationHits>();
  for (const hit of hits) {
    const g = groups.get(hit.conversationId);
    if (g) g.count++;
    else groups.set(hit.conversationId, { first: hit, count: 1 });
  }
  return [...groups.values()];
}
