// Global keyboard shortcuts (the composer handles Enter itself). Browsers keep Ctrl+N for a new
// window, so Alt+N is the same command there; in the app the menu's accelerator sends it.
export type ShortcutCommand = 'new-chat' | 'search' | 'stop' | 'export-markdown';

/** The parts of a KeyboardEvent a shortcut depends on. */
export interface Keys {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  shiftKey: boolean;
}

export function shortcutOf(e: Keys): ShortcutCommand | null {
  const mod = e.ctrlKey || e.metaKey;
  const key = e.key.toLowerCase();
  if (key === 'escape' && !mod && !e.altKey) return 'stop';
  if (mod && !e.altKey && !e.shiftKey && key === 'k') return 'search';
  if (mod && !e.altKey && !e.shiftKey && key === 'e') return 'export-markdown';
  if ((mod && !e.altKey && key === 'n') || (e.altKey && !mod && key === 'n')) return 'new-chat';
  return null;
}

export const SHORTCUTS: { keys: string; what: string }[] = [
  { keys: 'Enter or Ctrl+Enter', what: 'send (Shift+Enter: new line)' },
  { keys: 'Escape', what: 'stop the answer' },
  { keys: 'Ctrl+N (Alt+N in a browser)', what: 'new chat' },
  { keys: 'Ctrl+K', what: 'search conversations' },
  { keys: 'Ctrl+E', what: 'export the open conversation as Markdown' },
];
