// Jobs (imports) as a command sees them: progress on stderr, one bar per job, until they end.
import type { JobView } from '../../shared/api.ts';
import type { Backend } from '../services/backend.ts';
import { progressBar, type ProgressBar } from './progress.ts';

/** Follows a job's progress on stderr until it ends; a failed job throws its one-line error. */
export async function runJob(b: Backend, started: Promise<JobView> | JobView): Promise<JobView> {
  const job = await started;
  const off = showJobs(b, (id) => id === job.id);
  // Ctrl-C cancels the job, which cleans up after itself (an import leaves nothing behind)
  const cancel = () => {
    process.stderr.write('\ncancelling...\n');
    b.ctx.jobs.cancel(job.id);
  };
  process.once('SIGINT', cancel);
  const done = await b.ctx.jobs.wait(job.id).finally(() => process.off('SIGINT', cancel));
  off();
  if (done.status === 'failed') throw new Error(done.error ?? `${done.title} failed`);
  return done;
}

/**
 * Shows the progress of jobs (all of them, or those `which` picks) on stderr, one bar per job,
 * until the returned function is called: imports a command starts itself, and the first-run
 * imports that `eval --demo` and `demo` start on a new data folder.
 */
export function showJobs(b: Backend, which: (id: string) => boolean = () => true): () => void {
  const bars = new Map<string, ProgressBar>();
  return b.onEvent((e) => {
    if (e.type !== 'job' || !which(e.job.id)) return;
    const { id, title, status, phase } = e.job;
    let bar = bars.get(id);
    if (!bar) bars.set(id, (bar = progressBar(title, { bytes: true })));
    if (status === 'running') {
      if (e.job.total > 0) bar.update(e.job.done, e.job.total, phase, /hashing|converting/.test(phase), e.job.bytesPerSec, e.job.etaSeconds);
    } else {
      bar.done(status === 'done' ? `${title}: done` : undefined);
      bars.delete(id);
    }
  });
}
