import type { Keys } from '../../lib/shortcuts.ts';

/** Enter or Ctrl/Cmd+Enter sends; Shift+Enter is a new line; nothing while an IME composes. */
export function isSendKey(e: Pick<Keys, 'key' | 'shiftKey' | 'altKey'> & { isComposing: boolean }): boolean {
  return e.key === 'Enter' && !e.shiftKey && !e.altKey && !e.isComposing;
}
