// Temporary folders named `.<kind>-<pid>-<random>` whose process was killed (SIGKILL, power
// loss): nothing else removes them, and an import's or a prepared copy's can hold gigabytes.
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** Whether a process of this id still runs (signal 0 tests without sending anything). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes root's `.<kind>-<pid>-*` folders, for the given kinds, whose process is gone. */
export function removeAbandoned(root: string, kinds: string[]): void {
  const pattern = new RegExp(`^\\.(?:${kinds.join('|')})-(\\d+)-`);
  for (const name of readdirSync(root)) {
    const m = pattern.exec(name);
    if (m && !alive(Number(m[1]))) rmSync(join(root, name), { recursive: true, force: true });
  }
}
