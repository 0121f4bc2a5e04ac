// Live text of replies being generated, from `token` events, for whichever view shows them. Token
// events and the answer of the request that started a reply travel separately and may arrive in
// either order, so the text is kept here by message id rather than in a view's copy of the message.
import { SvelteMap } from 'svelte/reactivity';
import type { MessageView } from '../../../shared/api.ts';

export class StreamsState {
  #text = new SvelteMap<number, string>();
  /** Finished replies, in case the `message` event overtakes the request that created the reply. */
  #finished = new Map<number, MessageView>();

  append(messageId: number, text: string): void {
    this.#text.set(messageId, (this.#text.get(messageId) ?? '') + text);
  }

  finish(message: MessageView): void {
    if (message.status === 'streaming') return;
    this.#finished.set(message.id, message);
    this.#text.delete(message.id);
  }

  /** What to show for a message: its streamed text while it is being generated. */
  text(message: MessageView): string {
    if (message.status !== 'streaming') return message.text;
    const streamed = this.#text.get(message.id);
    return streamed !== undefined && streamed.length >= message.text.length ? streamed : message.text;
  }

  /** The newest known version of a message a request just returned. */
  latest(message: MessageView): MessageView {
    return this.#finished.get(message.id) ?? message;
  }
}
