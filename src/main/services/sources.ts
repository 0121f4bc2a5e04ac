// Adapter files are referenced, not copied: path + size + mtime + sha256 at import. Before use a
// moved or changed file is reported, never silently used.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Adapter, AdapterSource } from '../catalog/index.ts';
import { UserError } from './context.ts';

/** The files that hold an adapter's numbers (a folder: its json and safetensors files). */
function filesOf(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .filter((n) => n.endsWith('.json') || n.endsWith('.safetensors'))
    .sort()
    .map((n) => join(path, n));
}

export async function fingerprint(path: string, onBytes?: (done: number, total: number) => void): Promise<Omit<AdapterSource, 'index'>> {
  const files = filesOf(path);
  const stats = files.map((f) => statSync(f));
  const total = stats.reduce((a, s) => a + s.size, 0);
  const hash = createHash('sha256');
  let done = 0;
  for (const f of files) {
    for await (const chunk of createReadStream(f, { highWaterMark: 1 << 22 })) {
      hash.update(chunk as Buffer);
      done += (chunk as Buffer).length;
      onBytes?.(done, total);
    }
  }
  return { path, sha256: hash.digest('hex'), size: total, mtimeMs: Math.round(Math.max(...stats.map((s) => s.mtimeMs))) };
}

/** Throws a clear error when the adapter's file moved or changed since import. */
export async function checkSource(a: Adapter): Promise<void> {
  const { path } = a.source;
  if (!existsSync(path)) throw new UserError(`adapter ${a.id}: its file ${path} is missing (moved or deleted); import it again from where it is now`);
  const files = filesOf(path);
  const size = files.reduce((s, f) => s + statSync(f).size, 0);
  const mtime = Math.round(Math.max(...files.map((f) => statSync(f).mtimeMs)));
  if (size === a.source.size && mtime === a.source.mtimeMs) return;
  const now = await fingerprint(path);
  if (now.sha256 !== a.source.sha256) {
    throw new UserError(`adapter ${a.id}: ${path} changed since it was imported (sha256 ${a.source.sha256.slice(0, 12)}… is now ${now.sha256.slice(0, 12)}…); import it again to use the new file`);
  }
}
