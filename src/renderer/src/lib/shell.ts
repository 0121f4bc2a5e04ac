// The desktop shell's extras beside the contract (window.diffscopeShell, set by the preload in
// Electron only): native file dialogs, the path of a dropped file, and menu commands. In a
// browser none of this exists and the UI falls back to typing a path. The types are the
// preload's own, from src/shared/shell.ts.
import type { DiffscopeShell } from '../../../shared/shell.ts';

export type { DiffscopeShell, ImportKind, MenuCommand, View } from '../../../shared/shell.ts';

export const shell = (): DiffscopeShell | undefined => window.diffscopeShell;
