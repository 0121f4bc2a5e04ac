// Temporary folders for tests, under test/.tmp (gitignored), removed when the process ends.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '.tmp');
const made: string[] = [];
process.on('exit', () => {
  if (!process.env.DIFFSCOPE_KEEP_TMP) for (const d of made) rmSync(d, { recursive: true, force: true });
});

export function tmpDir(prefix: string): string {
  mkdirSync(root, { recursive: true });
  const dir = mkdtempSync(join(root, `${prefix}-`));
  made.push(dir);
  return dir;
}
