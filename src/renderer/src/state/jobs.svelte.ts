// Long work on the back end (imports, the first run), kept current by `job` events.
import type { DiffscopeApi, JobView } from '../../../shared/api.ts';

export class JobsState {
  items = $state<JobView[]>([]);
  running = $derived(this.items.filter((j) => j.status === 'running'));

  readonly #api: DiffscopeApi;

  constructor(api: DiffscopeApi) {
    this.#api = api;
  }

  async load(): Promise<void> {
    this.items = await this.#api.jobs.list();
  }

  upsert(job: JobView): void {
    const i = this.items.findIndex((j) => j.id === job.id);
    if (i < 0) this.items = [job, ...this.items];
    else this.items[i] = job;
  }
}
