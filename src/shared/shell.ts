// The desktop shell's extras beside the contract, exposed as window.diffscopeShell: native file
// dialogs, the path of a dropped file, and commands from the application menu. Types and channel
// names only (no `electron` import): main (src/main/app) uses them too. The renderer keeps a
// structural copy in src/renderer/src/lib/shell.ts (it may import only src/shared).

export type ImportKind = 'model' | 'adapter' | 'experiment';
export const IMPORT_KINDS: readonly ImportKind[] = ['model', 'adapter', 'experiment'];

export type View = 'chat' | 'compare' | 'evaluate' | 'import' | 'settings';

export type MenuCommand =
  | { type: 'new-chat' }
  | { type: 'import'; kind: ImportKind; path: string | null }
  | { type: 'export'; format: 'md' | 'json' | 'html' | 'pdf' }
  | { type: 'show'; view: View }
  | { type: 'theme'; theme: 'system' | 'light' | 'dark' }
  | { type: 'toggle-blind-mode' };

export interface DiffscopeShell {
  pickPath(kind: ImportKind): Promise<string | null>;
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
