// Saves a string as a file through the browser's own download (an anchor with `download`): the
// same code serves Electron (its session shows a save dialog) and browser mode.
import type { ExportedFile } from '../../../shared/api.ts';

export function downloadFile(file: ExportedFile): void {
  const url = URL.createObjectURL(new Blob([file.content], { type: file.mime }));
  const a = document.createElement('a');
  a.href = url;
  a.download = file.filename;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  // Revoke after the click has been handled; the download keeps its own reference.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
