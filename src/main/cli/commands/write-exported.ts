// An exported file to disk: text as UTF-8, a binary file (base64 in the API) as its bytes.
import { writeFileSync } from 'node:fs';
import type { ExportedFile } from '../../../shared/api.ts';

export function writeExported(path: string, file: ExportedFile): void {
  writeFileSync(path, file.encoding === 'base64' ? Buffer.from(file.content, 'base64') : file.content);
}

/** To stdout: a binary file only when stdout is not a terminal. */
export function printExported(file: ExportedFile): void {
  if (file.encoding !== 'base64') return void process.stdout.write(file.content);
  if (process.stdout.isTTY) throw new Error(`${file.filename} is a binary file: write it with --out FILE`);
  process.stdout.write(Buffer.from(file.content, 'base64'));
}
