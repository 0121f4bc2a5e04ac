// The `diffscope` command as a user runs it: a child process with its own library folder
// (DIFFSCOPE_HOME), so tests never touch the real one.
import { execFile } from 'node:child_process';
import assert from 'node:assert/strict';
import { join } from 'node:path';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'diffscope.js');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `node bin/diffscope.js ...args` to completion; never rejects on a non-zero exit. */
export function runCli(args: string[], home: string): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, DIFFSCOPE_HOME: home };
    delete env.DIFFSCOPE_DEBUG; // it adds a stack trace to every error
    execFile(process.execPath, [BIN, ...args], { env, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(err); // could not start at all
      resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
    });
  });
}

/** Progress lines the importer writes to stderr when it is not a terminal. */
const PROGRESS = /^(hashing|converting|writing) .*\d+%/;

/**
 * Asserts the run failed the way every command fails: exit 1 and exactly one `diffscope: ...`
 * line on stderr (progress lines aside). Returns that line without the prefix.
 */
export function oneLineError(run: CliRun): string {
  assert.equal(run.code, 1, `expected exit 1, got ${run.code}; stderr:\n${run.stderr}`);
  const lines = run.stderr.split('\n').filter((l) => l.trim() !== '' && !PROGRESS.test(l));
  assert.equal(lines.length, 1, `expected one error line on stderr, got:\n${run.stderr}`);
  assert.match(lines[0], /^diffscope: /);
  return lines[0].slice('diffscope: '.length);
}
