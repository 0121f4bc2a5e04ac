// Saves a string as a file through the browser's own download (an anchor with `download`): the
// same code serves Electron (its session shows a save dialog) and browser mode.
import type { ExportedFile } from '../../../shared/api.ts';

/** The file's bytes: its text, or decoded from base64 for a binary file. */
function body(file: ExportedFile): BlobPart {
  if (file.encoding !== 'base64') return file.content;
  const raw = atob(file.content);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}

export function downloadFile(file: ExportedFile): void {
  const url = URL.createObjectURL(new Blob([body(file)], { type: file.mime }));
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
