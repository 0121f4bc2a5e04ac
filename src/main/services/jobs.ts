// Long work (imports) as jobs: started at once, progress pushed as `job` events, result kept.
import { randomUUID } from 'node:crypto';
import type { ApiEvent, JobView } from '../../shared/api.ts';

export interface JobHandle {
  progress(phase: string, done: number, total: number, rate?: { bytesPerSec: number; etaSeconds: number | null }): void;
  /** Aborted when someone cancels the job (jobs:cancel, Ctrl-C in the CLI). */
  signal: AbortSignal;
}

export class Jobs {
  private readonly jobs = new Map<string, JobView>();
  private readonly running = new Map<string, Promise<JobView>>();
  private readonly controllers = new Map<string, AbortController>();

  constructor(private readonly emit: (e: ApiEvent) => void) {}

  list(): JobView[] {
    return [...this.jobs.values()].sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  }

  /** Waits for a job (tests, CLI). */
  wait(id: string): Promise<JobView> {
    return this.running.get(id) ?? Promise.resolve(this.jobs.get(id)!);
  }

  /** Asks a running job to stop; it ends failed, with what it says about the cancellation. */
  cancel(id: string): JobView {
    const job = this.jobs.get(id);
    if (!job) throw new Error(`no job ${id}`);
    this.controllers.get(id)?.abort();
    return { ...job };
  }

  start(kind: JobView['kind'], title: string, work: (job: JobHandle) => Promise<JobView['result']>): JobView {
    const job: JobView = { id: randomUUID(), kind, title, status: 'running', phase: 'starting', done: 0, total: 0, error: null, result: null, startedAt: new Date().toISOString() };
    this.jobs.set(job.id, job);
    let last = 0;
    const controller = new AbortController();
    this.controllers.set(job.id, controller);
    const handle: JobHandle = {
      signal: controller.signal,
      progress: (phase, done, total, rate) => {
        Object.assign(job, { phase, done, total, bytesPerSec: rate?.bytesPerSec, etaSeconds: rate?.etaSeconds });
        const now = Date.now();
        if (now - last > 100 || done === total) {
          last = now;
          this.emit({ type: 'job', job: { ...job } });
        }
      },
    };
    const run = (async () => {
      try {
        job.result = await work(handle);
        job.status = 'done';
        job.phase = 'done';
      } catch (err) {
        job.status = 'failed';
        job.error = (err as Error).message.split('\n')[0];
      }
      this.emit({ type: 'job', job: { ...job } });
      this.running.delete(job.id);
      this.controllers.delete(job.id);
      return { ...job };
    })();
    this.running.set(job.id, run);
    this.emit({ type: 'job', job: { ...job } });
    return { ...job };
  }
}
