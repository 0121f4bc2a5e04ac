// The import form: what is being imported, from where, for which base model. The work itself is
// a job on the back end; its progress arrives as `job` events (JobsState).
import type { DiffscopeApi, JobView } from '../../../../shared/api.ts';
import { shell, type ImportKind } from '../../lib/shell.ts';
import type { JobsState } from '../../state/jobs.svelte.ts';
import type { NoticesState } from '../../state/notices.svelte.ts';

export const IMPORT_KINDS: { kind: ImportKind; label: string; hint: string }[] = [
  { kind: 'model', label: 'Base model', hint: 'a Hugging Face model folder: config.json, *.safetensors, tokenizer files' },
  { kind: 'adapter', label: 'Diff or DIT adapter', hint: "a paper .pt file, a PEFT folder, a safetensors file or a full finetune's folder" },
  { kind: 'experiment', label: 'Released experiment', hint: 'a folder with index.csv, weight-diffs/ and dit-adapter.pt' },
];

export class ImportState {
  kind = $state<ImportKind>('adapter');
  path = $state('');
  modelId = $state('');
  precision = $state<'auto' | 'fp32' | 'fp16' | 'int8' | 'int4'>('auto');
  /** Why a dropped file could not be used directly. */
  dropNote = $state<string | null>(null);
  submitting = $state(false);

  canPick = $derived(shell() !== undefined);
  needsModel = $derived(this.kind !== 'model');
  ready = $derived(this.path.trim() !== '' && (!this.needsModel || this.modelId !== '') && !this.submitting);

  readonly #api: DiffscopeApi;
  readonly #notices: NoticesState;
  readonly #jobs: JobsState;

  constructor(api: DiffscopeApi, notices: NoticesState, jobs: JobsState) {
    this.#api = api;
    this.#notices = notices;
    this.#jobs = jobs;
  }

  async pick(): Promise<void> {
    const path = await this.#notices.guard('Choosing a file', async () => (await shell()?.pickPath(this.kind)) ?? null);
    if (path) this.path = path;
  }

  /** A dropped file: its path in the app; in a browser only its name, to be completed by hand. */
  drop(files: File[]): void {
    const file = files[0];
    if (!file) return;
    const path = shell()?.pathForFile(file) ?? '';
    if (path) {
      this.path = path;
      this.dropNote = null;
    } else {
      this.dropNote = `A browser does not tell where "${file.name}" is. Type its full path on the machine that runs Diffscope.`;
      if (!this.path) this.path = file.name;
    }
    if (/\.(pt|safetensors)$/i.test(file.name)) this.kind = 'adapter';
  }

  async submit(): Promise<JobView | undefined> {
    if (!this.ready) return undefined;
    this.submitting = true;
    const path = this.path.trim();
    let job: JobView | undefined;
    try {
      job = await (this.kind === 'model' ? this.#api.models.import(path, this.precision) : this.#api.adapters.import(path, this.modelId));
    } catch (err) {
      // Shown where a failed import shows, in the list of imports, not as a notice over the page.
      this.#jobs.failedToStart(`Import ${path.split(/[\\/]/).pop() || path}`, err);
    }
    this.submitting = false;
    if (job) {
      this.path = '';
      this.dropNote = null;
    }
    return job;
  }
}
