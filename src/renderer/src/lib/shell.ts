// The desktop shell's extras beside the contract (window.diffscopeShell, set by the preload in
// Electron only): native file dialogs, the path of a dropped file, and menu commands. In a
// browser none of this exists and the UI falls back to typing a path.
import type { Settings } from '../../../shared/api.ts';

/** What an import is: a base model folder, a diff or DIT adapter, or a released experiment folder. */
export type ImportKind = 'model' | 'adapter' | 'experiment';

/** The top tabs (the menu can show each). */
export type View = 'chat' | 'compare' | 'evaluate' | 'import' | 'settings';

/** What the application menu asks the page to do. Mirrors src/preload/shell.ts. */
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
  /** The conversation printed to PDF and saved; the path, or null when cancelled. */
  printPdf(conversationId: number): Promise<string | null>;
}

export const shell = (): DiffscopeShell | undefined => window.diffscopeShell;
