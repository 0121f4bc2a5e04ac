// `diffscope sample`: the Compare view's samples per condition from the command line: the question
// asked N times under the base model, base + diff(s) and base + diff(s) + DIT adapter, sampled at a
// temperature with a seed, all rows in one engine batch; then how often each distinct answer came up.
import type { SampleRequest, SampleResult, Settings, StackEntry } from '../../../shared/api.ts';
import type { Backend } from '../../services/backend.ts';
import type { LibraryModel } from '../../services/context.ts';
import { num, int, pathWithScale } from '../args.ts';
import { withBackend } from '../backend.ts';
import { adapterFile, importedAdapter, modelArg } from '../refs.ts';
import { NEWS_MAX_TOKENS, NEWS_QUESTION, TOPIC_MAX_TOKENS, TOPIC_QUESTION } from '../../services/eval/methods.ts';

export interface SampleOptions {
  model?: string;
  diff?: string[];
  dit?: string;
  question: string;
  n: string;
  temperature: string;
  seed: string;
  maxTokens?: string;
  provider: string;
  json?: boolean;
}

async function part(b: Backend, model: LibraryModel, spec: string, flag: string, role: StackEntry['role']): Promise<StackEntry> {
  const { path, scale, only } = pathWithScale(spec, flag);
  const id = adapterFile(path) ? await importedAdapter(b, path, model) : path;
  const found = b.ctx.catalog.adapters.get(id);
  if (!found) throw new Error(`${flag} ${path}: neither a file nor an adapter id in the catalog (see \`diffscope adapters\`)`);
  return { adapterId: found.id, scale, role, ...only };
}

export async function sampleCommand(values: SampleOptions): Promise<void> {
  if (!values.model) throw new Error('--model ID is required');
  await withBackend(
    async (b) => {
      const model = await modelArg(b, values.model!);
      const diffs = await Promise.all((values.diff ?? []).map((d) => part(b, model, d, '--diff', 'diff')));
      const dit = values.dit ? await part(b, model, values.dit, '--dit', 'dit') : null;
      const conditions: SampleRequest['conditions'] = [{ name: 'base', stack: [] }];
      if (diffs.length > 0) conditions.push({ name: 'base + diff', stack: diffs });
      if (dit) conditions.push({ name: diffs.length > 0 ? 'base + diff + DIT' : 'base + DIT', stack: [...diffs, dit] });
      const request: SampleRequest = {
        modelId: model.id,
        question: values.question,
        conditions,
        n: int(values.n, '--n', 8),
        temperature: num(values.temperature, '--temperature', 1),
        seed: int(values.seed, '--seed', 0),
        // the paper's budgets for its two questions, as the chat's presets; else the chat's setting
        ...(values.maxTokens !== undefined
          ? { maxTokens: int(values.maxTokens, '--max-tokens', 20) }
          : values.question === TOPIC_QUESTION
            ? { maxTokens: TOPIC_MAX_TOKENS }
            : values.question === NEWS_QUESTION
              ? { maxTokens: NEWS_MAX_TOKENS }
              : {}),
      };
      if (!values.json) process.stderr.write(`drawing ${request.n} answers under each of ${conditions.length} conditions in one batch…\n`);
      const result = await b.requests.samples.draw(request);
      if (values.json) console.log(JSON.stringify(result));
      else printCounts(result);
    },
    { provider: values.provider as Settings['provider'] },
  );
}

function printCounts(r: SampleResult): void {
  for (const c of r.conditions) {
    console.log(`${c.name}: ${c.counts.length} distinct of ${c.answers.length} (seed ${r.seed})`);
    for (const k of c.counts) console.log(`  ${String(k.count).padStart(3)}  ${k.answer.replace(/\s+/g, ' ').slice(0, 100)}`);
  }
}
