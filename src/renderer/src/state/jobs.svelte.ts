// Long work on the back end (imports, the first run), kept current by `job` events. An import that
// could not even start is listed here too, as a failed job: one place, one look, for every import
// error, and a person dismisses failures they have read.
import type { DiffscopeApi, JobView } from '../../../shared/api.ts';
import { messageOf } from '../lib/errors.ts';

export class JobsState {
  items = $state<JobView[]>([]);
  running = $derived(this.items.filter((j) => j.status === 'running'));
  #dismissed = $state<string[]>([]);
  /** What the list shows: every job but the failures dismissed. */
  shown = $derived(this.items.filter((j) => !this.#dismissed.includes(j.id)));
  #nextLocal = 1;

  readonly #api: DiffscopeApi;

  constructor(api: DiffscopeApi) {
    this.#api = api;
  }

  async load(): Promise<void> {
    this.items = await this.#api.jobs.list();
  }

  /** An import refused before it became a job (no such file, not a model folder). */
  failedToStart(title: string, err: unknown): void {
    const job: JobView = {
      id: `refused-${this.#nextLocal++}`,
      kind: 'import-adapter',
      title,
      status: 'failed',
      phase: 'refused',
      done: 0,
      total: 0,
      error: messageOf(err),
      result: null,
      startedAt: new Date().toISOString(),
    };
    this.items = [job, ...this.items];
  }

  dismiss(id: string): void {
    this.#dismissed = [...this.#dismissed, id];
  }

  upsert(job: JobView): void {
    const i = this.items.findIndex((j) => j.id === job.id);
    if (i < 0) this.items = [job, ...this.items];
    else this.items[i] = job;
  }
}
