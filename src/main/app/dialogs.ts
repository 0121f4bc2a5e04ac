// Native open dialogs, one per kind of import.
import { dialog, type BrowserWindow, type OpenDialogOptions } from 'electron';
import type { ImportKind } from '../../shared/shell.ts';

const OPTIONS: Record<ImportKind, OpenDialogOptions> = {
  model: { title: 'Import a base model (Hugging Face folder)', properties: ['openDirectory'] },
  adapter: {
    title: 'Import a diff or DIT adapter',
    // A paper .pt or safetensors file, or a PEFT / full-finetune folder.
    properties: ['openFile', 'openDirectory'],
    filters: [
      { name: 'Adapters', extensions: ['pt', 'safetensors', 'json'] },
      { name: 'All files', extensions: ['*'] },
    ],
  },
  experiment: { title: 'Import a released experiment folder (index.csv, weight-diffs/)', properties: ['openDirectory'] },
};

export async function pickPath(win: BrowserWindow | null, kind: ImportKind): Promise<string | null> {
  const options = OPTIONS[kind];
  const result = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
  return result.canceled ? null : (result.filePaths[0] ?? null);
}
