// `diffscope score`: a text read as the reply to a question (default the DIT topic question),
// scored teacher-forced under two stacks in one engine run: each token's log-probability under
// both, the top-k alternatives under each, and the KL divergence between them (docs/token-view.md).
import { readFileSync } from 'node:fs';
import type { ScoreCondition, Settings, StackEntry, TokenScores } from '../../../shared/api.ts';
import type { Backend } from '../../services/backend.ts';
import type { LibraryModel } from '../../services/context.ts';
import { selectionSuffix } from '../../services/stack-spec.ts';
import { int, pathWithScale } from '../args.ts';
import { withBackend } from '../backend.ts';
import { adapterFile, importedAdapter, modelArg } from '../refs.ts';

export interface ScoreCommandOptions {
  model?: string;
  diff?: string[];
  dit?: string;
  against?: string;
  question?: string;
  ids?: boolean;
  topK?: string;
  provider: string;
  json?: boolean;
}

/** A catalog id or a file (imported into the catalog once), with its scale and selection. */
async function part(b: Backend, model: LibraryModel, spec: string, flag: string, role?: StackEntry['role']): Promise<StackEntry> {
  const { path, scale, only } = pathWithScale(spec, flag);
  let id = path;
  if (adapterFile(path)) id = await importedAdapter(b, path, model);
  const found = b.ctx.catalog.adapters.get(id);
  if (!found) throw new Error(`${flag} ${path}: neither a file nor an adapter id in the catalog (see \`diffscope adapters\`)`);
  return { adapterId: found.id, scale, role: role ?? (found.kind === 'dit' ? 'dit' : 'diff'), ...only };
}

/** "base", "base + diff", "base + diff ×2@8-20,mlp + DIT": a condition's name from its stack. */
export function stackName(stack: StackEntry[]): string {
  return ['base', ...stack.map((s) => `${s.role === 'dit' ? 'DIT' : 'diff'}${s.scale === 1 ? '' : ` ×${s.scale}`}${selectionSuffix(s)}`)].join(' + ');
}

export async function scoreCommand(text: string, values: ScoreCommandOptions): Promise<void> {
  if (!values.model) throw new Error('--model ID is required');
  if (!values.against) throw new Error('--against base|STACK is required: the condition to compare with (STACK: REF[:SCALE][@LAYERS,MODULES], several joined by +)');
  const topK = values.topK === undefined ? undefined : int(values.topK, '--top-k', 5);
  const reply = text === '-' ? readFileSync(0, 'utf8') : text;
  const ids = values.ids ? reply.split(/[\s,]+/).filter(Boolean).map((t) => int(t, '--ids: token', 0)) : undefined;
  await withBackend(
    async (b) => {
      const model = await modelArg(b, values.model!);
      const first: StackEntry[] = [
        ...(await Promise.all((values.diff ?? []).map((d) => part(b, model, d, '--diff', 'diff')))),
        ...(values.dit ? [await part(b, model, values.dit, '--dit', 'dit')] : []),
      ];
      const against = values.against!.trim() === 'base' ? [] : await Promise.all(values.against!.split('+').map((p) => part(b, model, p.trim(), '--against')));
      const names = [stackName(first), stackName(against)];
      if (names[0] === names[1]) names[1] += ' (against)';
      const conditions: ScoreCondition[] = [
        { name: names[0], stack: first },
        { name: names[1], stack: against },
      ];
      if (!values.json) process.stderr.write(`scoring under ${names.join(' and ')}…\n`);
      const scores = await b.requests.score.tokens({ modelId: model.id, ...(ids ? { ids } : { text: reply }), question: values.question, conditions, topK });
      if (values.json) console.log(JSON.stringify({ conditions: scores.conditions, tokens: scores.tokens }));
      else printTable(scores);
    },
    { provider: values.provider as Settings['provider'] },
  );
}

function printTable(s: TokenScores): void {
  const [a, b] = s.conditions;
  const pad = (x: string, n: number) => (x.length >= n ? x : x + ' '.repeat(n - x.length));
  const num = (x: number) => (x >= 0 ? ' ' : '') + x.toFixed(3);
  console.log(`${pad('token', 18)} ${pad(`logp ${a}`, 12)} ${pad(`logp ${b}`, 12)} ${pad('Δ', 8)} ${pad('KL', 8)} top under ${a}`);
  for (const t of s.tokens) {
    const d = t.logprob[a] - t.logprob[b];
    const top = (t.top[a] ?? []).map((x) => `${JSON.stringify(x.text)} ${x.logprob.toFixed(2)}`).join(', ');
    console.log(`${pad(JSON.stringify(t.text), 18)} ${pad(num(t.logprob[a]), 12)} ${pad(num(t.logprob[b]), 12)} ${pad(num(d), 8)} ${pad(t.kl.toFixed(4), 8)} ${top}`);
  }
  process.stderr.write(`[${s.tokens.length} tokens scored after a ${s.promptTokens}-token prompt in ${s.stats.totalMs.toFixed(0)} ms on ${s.stats.provider}]\n`);
}
