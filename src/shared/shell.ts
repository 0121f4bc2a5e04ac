// The desktop shell's extras beside the contract, exposed by the preload as window.diffscopeShell
// (Electron only): native file dialogs, the path of a dropped file, commands from the application
// menu, PDF printing. Types and channel names only: main (src/main/app), the preload and the
// renderer all use this one declaration.
import type { Settings } from './types.ts';

/** What an import is: a base model folder, a diff or DIT adapter, or a released experiment folder. */
export type ImportKind = 'model' | 'adapter' | 'experiment';
export const IMPORT_KINDS: readonly ImportKind[] = ['model', 'adapter', 'experiment'];

/** The top tabs (the menu can show each). */
export type View = 'chat' | 'compare' | 'evaluate' | 'inspect' | 'import' | 'settings';

/** What the application menu asks the page to do. */
export type MenuCommand =
  | { type: 'new-chat' }
  | { type: 'import'; kind: ImportKind; path: string | null }
  | { type: 'export'; format: 'md' | 'json' | 'html' | 'pdf' }
  | { type: 'show'; view: View }
  | { type: 'theme'; theme: Settings['theme'] }
  | { type: 'toggle-blind-mode' };

export interface DiffscopeShell {
  /** A native open dialog for that kind of import; null when cancelled. */
  pickPath(kind: ImportKind): Promise<string | null>;
  /** Where a dropped file lives on disk ('' when it has no path). */
  pathForFile(file: File): string;
  onMenu(listener: (command: MenuCommand) => void): () => void;
  /** The conversation's sanitised HTML export printed to PDF (Chromium's printToPDF), saved where the user picks; the saved path or null. */
  printPdf(conversationId: number): Promise<string | null>;
}

export const SHELL_CHANNELS = {
  pickPath: 'shell:pick-path',
  menu: 'shell:menu',
  printPdf: 'shell:print-pdf',
} as const;
