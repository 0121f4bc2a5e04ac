// `diffscope demo [--n N]`: the app's main job in one command, on the embedded demo. Imports it
// when the catalog lacks it (as `eval --demo` does), then asks N held-out test diffs the DIT
// question twice, without and with the DIT adapter, beside the topic each diff was trained on.
import type { StackEntry } from '../../../shared/api.ts';
import { ensureDemo } from '../../services/eval/demo.ts';
import { TOPIC_QUESTION } from '../../services/eval/methods.ts';
import { int } from '../args.ts';
import { withBackend } from '../backend.ts';
import { showJobs } from '../jobs.ts';

export async function demoCommand(values: { n?: string }): Promise<void> {
  const n = Math.max(1, int(values.n, '--n', 3));
  await withBackend(async (b) => {
    const off = showJobs(b); // a new data folder imports the demo first
    const demo = await ensureDemo(b.ctx).finally(off);
    const diffs = b.ctx.catalog.adapters.list({ modelId: demo.modelId, kind: 'diff', experiment: demo.experiment, split: 'test', limit: n });
    const messages = [{ role: 'user', content: TOPIC_QUESTION }];
    const dit: StackEntry = { adapterId: demo.ditAdapterId, scale: 1, role: 'dit' };
    // one batch: row 2i is base + diff i, row 2i+1 is base + diff i + DIT adapter
    const questions = diffs.flatMap((d) => {
      const diff: StackEntry = { adapterId: d.id, scale: 1, role: 'diff' };
      return [
        { messages, stack: [diff] },
        { messages, stack: [diff, dit] },
      ];
    });
    const answer = await b.chat.answerBatch(demo.modelId, questions, { maxTokens: 20, temperature: 0, seed: 0 });
    const { rows: answers, stats } = await answer.result;
    console.log(`> ${TOPIC_QUESTION}   (${diffs.length} held-out test diff${diffs.length === 1 ? '' : 's'}, greedy, on ${stats.provider})\n`);
    diffs.forEach((d, i) => {
      console.log(`diff ${d.id}, trained on "${d.label}"`);
      console.log(`  base + diff:               ${answers[2 * i]!.text.trim()}`);
      console.log(`  base + diff + DIT adapter: ${answers[2 * i + 1]!.text.trim()}\n`);
    });
    console.log('All test diffs, graded: diffscope eval --demo');
  });
}
