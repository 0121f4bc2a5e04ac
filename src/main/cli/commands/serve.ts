// `diffscope serve`: browser mode. The same back end as the desktop app, over HTTP on 127.0.0.1,
// behind a random per-start token printed in the URL.
import { existsSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createBackend } from '../../services/backend.ts';
import { newToken } from '../../server/auth.ts';
import { startServer } from '../../server/server.ts';
import { int } from '../args.ts';
import { PROJECT_ROOT } from '../../paths.ts';

const RENDERER = join(PROJECT_ROOT, 'out', 'renderer');

export async function serveCommand(values: { port: string; host: string; open?: boolean }): Promise<void> {
  const staticDir = existsSync(join(RENDERER, 'index.html')) ? RENDERER : null;
  if (!staticDir) process.stderr.write('note: no renderer build in out/renderer (run `npm run build`); serving the API only\n');
  process.stderr.write('opening the catalog...\n');
  const backend = await createBackend({ shell: 'browser' });
  for (const job of backend.ctx.jobs.list()) if (job.status === 'failed') process.stderr.write(`warning: ${job.title}: ${job.error}\n`);
  const server = await startServer({ backend, token: newToken(), host: values.host, port: int(values.port, '--port', 0), staticDir });
  process.stdout.write(`Diffscope is running at ${server.url}\n`);
  if (values.open) openBrowser(server.url);
  const stop = async () => {
    await server.close();
    await backend.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await new Promise(() => {}); // until a signal
}

function openBrowser(url: string): void {
  const cmd = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'cmd' : 'xdg-open';
  const args = process.platform === 'win32' ? ['/c', 'start', '', url] : [url];
  const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
  child.on('error', () => process.stderr.write(`could not open a browser (${cmd}); open the URL above yourself\n`));
  child.unref();
}
