// Messages for the person: errors from the back end and short confirmations, shown in one live
// region and dismissed by hand (errors) or after a while (confirmations).
import { messageOf } from '../lib/errors.ts';

export interface Notice {
  id: number;
  kind: 'error' | 'info';
  text: string;
}

export class NoticesState {
  items = $state<Notice[]>([]);
  #next = 1;

  error(err: unknown, doing?: string): void {
    this.#push('error', doing ? `${doing}: ${messageOf(err)}` : messageOf(err));
  }

  info(text: string): void {
    const id = this.#push('info', text);
    setTimeout(() => this.dismiss(id), 4000);
  }

  dismiss(id: number): void {
    this.items = this.items.filter((n) => n.id !== id);
  }

  /** Runs a call and reports its failure instead of throwing; resolves to undefined then. */
  async guard<T>(doing: string, fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await fn();
    } catch (err) {
      this.error(err, doing);
      return undefined;
    }
  }

  /** Like guard, for calls without a result: whether it worked. */
  async ok(doing: string, fn: () => Promise<unknown>): Promise<boolean> {
    try {
      await fn();
      return true;
    } catch (err) {
      this.error(err, doing);
      return false;
    }
  }

  #push(kind: Notice['kind'], text: string): number {
    const id = this.#next++;
    this.items = [...this.items.slice(-4), { id, kind, text }];
    return id;
  }
}
