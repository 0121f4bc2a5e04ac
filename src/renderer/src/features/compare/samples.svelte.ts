// Samples per condition in the Compare view: the settings (N, temperature, seed) and the last
// draw (samples.draw: every condition's N answers as rows of one batch). The DIT condition's
// distinct answers come counted from the back end.
import type { DiffscopeApi, SampleResult } from '../../../../shared/api.ts';
import type { NoticesState } from '../../state/notices.svelte.ts';
import { samplingForQuestion } from '../chat/presets.ts';
import type { Condition } from './conditions.ts';

export const MAX_SAMPLES = 32;

export interface SampleDraft {
  n: string;
  temperature: string;
  seed: string;
}

/** The draft as numbers, or the first field that is wrong. */
export function checkSampleDraft(d: SampleDraft): { ok: true; n: number; temperature: number; seed: number } | { ok: false; error: string } {
  const n = Number(d.n.trim());
  if (!/^\d+$/.test(d.n.trim()) || n < 1 || n > MAX_SAMPLES) return { ok: false, error: `answers per condition: a whole number from 1 to ${MAX_SAMPLES}` };
  const temperature = Number(d.temperature.trim());
  if (d.temperature.trim() === '' || !Number.isFinite(temperature) || temperature <= 0 || temperature > 2) return { ok: false, error: 'temperature: above 0 (0 draws the same answer every time) and at most 2' };
  const seed = Number(d.seed.trim());
  if (!/^\d+$/.test(d.seed.trim()) || !Number.isSafeInteger(seed)) return { ok: false, error: 'seed: a whole number' };
  return { ok: true, n, temperature, seed };
}

export class SamplesState {
  draft = $state<SampleDraft>({ n: '8', temperature: '1', seed: '0' });
  drawing = $state(false);
  result = $state<SampleResult | null>(null);
  /** What the shown result was drawn for: its conditions' labels by name and the question. */
  asked = $state<{ question: string; conditions: Condition[]; n: number } | null>(null);
  checked = $derived(checkSampleDraft(this.draft));

  readonly #api: DiffscopeApi;
  readonly #notices: NoticesState;

  constructor(api: DiffscopeApi, notices: NoticesState) {
    this.#api = api;
    this.#notices = notices;
  }

  async draw(modelId: string, question: string, conditions: Condition[]): Promise<void> {
    const c = this.checked;
    if (!c.ok || this.drawing || !modelId || !question.trim()) return;
    this.drawing = true;
    try {
      const { maxTokens } = samplingForQuestion(question.trim());
      const result = await this.#notices.guard('Drawing samples', () =>
        this.#api.samples.draw({
          modelId,
          question: question.trim(),
          conditions: conditions.map((x) => ({ name: x.id, stack: x.stack, prefix: x.prefix })),
          n: c.n,
          temperature: c.temperature,
          seed: c.seed,
          ...(maxTokens !== undefined ? { maxTokens } : {}),
        }),
      );
      if (result) {
        this.result = result;
        this.asked = { question: question.trim(), conditions, n: c.n };
      }
    } finally {
      this.drawing = false;
    }
  }
}

let shared: SamplesState | null = null;

/** One state for the page, so that a draw survives switching views. */
export function samplesState(api: DiffscopeApi, notices: NoticesState): SamplesState {
  return (shared ??= new SamplesState(api, notices));
}
