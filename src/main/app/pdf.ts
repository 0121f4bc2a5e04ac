// PDF export in the desktop app: the conversation's sanitised HTML export (no scripts, its own
// CSP and print styles) loaded into a hidden window with JavaScript off, printed by Chromium.
import { writeFile } from 'node:fs/promises';
import { BrowserWindow, dialog } from 'electron';
import type { ExportedFile } from '../../shared/api.ts';
import type { Backend } from './backend.ts';

export async function printConversationPdf(backend: Backend, parent: BrowserWindow | null, id: number): Promise<string | null> {
  const html = (await backend.dispatch('export:conversation', [id, 'html'])) as ExportedFile;
  const target = parent
    ? await dialog.showSaveDialog(parent, { defaultPath: html.filename.replace(/\.html$/, '.pdf'), filters: [{ name: 'PDF', extensions: ['pdf'] }] })
    : await dialog.showSaveDialog({ defaultPath: html.filename.replace(/\.html$/, '.pdf') });
  if (target.canceled || !target.filePath) return null;
  const win = new BrowserWindow({ show: false, webPreferences: { sandbox: true, javascript: false, contextIsolation: true } });
  try {
    await win.loadURL(`data:text/html;charset=utf-8,${encodeURIComponent(html.content)}`);
    const pdf = await win.webContents.printToPDF({ printBackground: true, pageSize: 'A4' });
    await writeFile(target.filePath, pdf);
    return target.filePath;
  } finally {
    win.destroy();
  }
}
