// Which screen is shown, and the few elements shortcuts move the focus to.
import type { View } from '../lib/shell.ts';

export class UiState {
  view = $state<View>('chat');
  searchInput: HTMLInputElement | null = null;
  questionInput: HTMLTextAreaElement | null = null;

  show(view: View): void {
    this.view = view;
  }

  focusSearch(): void {
    this.searchInput?.focus();
    this.searchInput?.select();
  }

  /** After the current update, so a view that is just being shown has its composer. */
  focusQuestion(): void {
    queueMicrotask(() => this.questionInput?.focus());
  }
}
