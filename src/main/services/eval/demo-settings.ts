// The paper's other settings in the embedded demo (issue 15): news summaries, rank generalisation,
// full finetunes and the two cross-setting checks, each an evaluation request over the demo's
// own folders where the demo ships them: news-summary/<model>/ and full-finetune/<model>/ (the
// paper's <experiment>/<model>/ layout; the experiment folder itself is accepted too) and
// rank-generalization/rank-K/. The hidden-topic setting is demoRequest's run.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { EvalRequest, JudgeConfig } from '../../../shared/api.ts';
import { UserError, type Ctx } from '../context.ts';
import { DEMO_DIR } from '../first-run.ts';
import { runAdapterImport, runExperimentImport } from '../imports.ts';
import { asJob, type DemoSetup } from './demo.ts';
import { NEWS_MAX_TOKENS, NEWS_QUESTION, TOPIC_MAX_TOKENS, TOPIC_QUESTION } from './methods.ts';

export interface DemoSettingRequest {
  name: string; // hidden-topic, news-summary, rank-generalization/rank-K, full-finetune, topic-adapter-on-news, news-adapter-on-topic
  request: EvalRequest; // the paper's methods for the setting; those needing a judge are listed as skipped, with why, where none is set
}

// a full finetune compressed to this rank is exact for the demo's modules (none is wider than 128)
const FULL_RANK = 128;

async function importExperiment(ctx: Ctx, dir: string, modelId: string): Promise<void> {
  await asJob(ctx, `Import the demo's ${dir.split('/').slice(-2).join('/')}`, (job) => runExperimentImport(ctx, dir, modelId, job));
}

/** `<root>/<name>` when it holds index.csv, else its one subfolder that does (`<name>/<model>/`). */
function releaseDir(root: string, name: string): string | null {
  const dir = join(root, name);
  if (existsSync(join(dir, 'index.csv'))) return dir;
  if (!existsSync(dir)) return null;
  const models = readdirSync(dir).filter((d) => existsSync(join(dir, d, 'index.csv'))).sort();
  return models.length > 0 ? join(dir, models[0]!) : null;
}

function ditOf(ctx: Ctx, modelId: string, dir: string) {
  const path = join(dir, 'dit-adapter.pt');
  const dit = ctx.catalog.adapters.list({ modelId, kind: 'dit' }).find((a) => resolve(a.source.path) === path);
  if (!dit?.experiment) throw new UserError(`${dir}: its DIT adapter did not import`);
  return dit;
}

/** The settings the demo folder ships, imported for the demo model; none when it ships none. */
export async function demoSettingRequests(ctx: Ctx, demo: DemoSetup, demoDir = DEMO_DIR, judge: JudgeConfig | null = null): Promise<DemoSettingRequest[]> {
  const request = (ditAdapterId: string, selection: EvalRequest['selection'], methods: EvalRequest['methods'], extra: Partial<EvalRequest> = {}): EvalRequest => ({
    modelId: demo.modelId,
    ditAdapterId,
    selection,
    methods,
    judge,
    ...extra,
  });

  const root = resolve(demoDir);
  const out: DemoSettingRequest[] = [];
  const newsDir = releaseDir(root, 'news-summary');
  if (newsDir) {
    await importExperiment(ctx, newsDir, demo.modelId);
    const news = ditOf(ctx, demo.modelId, newsDir);
    const newsTest = { experiment: news.experiment!, split: 'test' as const };
    const newsAsked = { question: NEWS_QUESTION, maxTokens: NEWS_MAX_TOKENS };
    out.push({ name: 'news-summary', request: request(news.id, newsTest, ['base', '20q', 'story', 'dit'], newsAsked) });
    out.push({ name: 'topic-adapter-on-news', request: request(demo.ditAdapterId, newsTest, ['dit'], { question: TOPIC_QUESTION, maxTokens: TOPIC_MAX_TOKENS }) });
    out.push({ name: 'news-adapter-on-topic', request: request(news.id, { experiment: demo.experiment, split: 'test' }, ['dit'], newsAsked) });
  }
  const rankRoot = join(root, 'rank-generalization');
  if (existsSync(rankRoot)) {
    const ranks = readdirSync(rankRoot)
      .map((d) => /^rank-(\d+)$/.exec(d))
      .filter((m): m is RegExpExecArray => m !== null && existsSync(join(rankRoot, m[0], 'index.csv')))
      .sort((a, b) => Number(a[1]) - Number(b[1]));
    for (const m of ranks) {
      await importExperiment(ctx, join(rankRoot, m[0]), demo.modelId);
      out.push({ name: `rank-generalization/${m[0]}`, request: request(demo.ditAdapterId, { experiment: `rank-generalization/${m[0]}` }, ['base', 'trigger', 'dit']) });
    }
  }
  const fullDir = releaseDir(root, 'full-finetune');
  if (fullDir) {
    const rows = readFileSync(join(fullDir, 'index.csv'), 'utf8').trim().split('\n').slice(1, 1001);
    const ids: string[] = [];
    for (const row of rows) {
      const [shard, index] = row.split(',');
      if (!shard || !/^\d+$/.test(index ?? '')) throw new UserError(`${join(fullDir, 'index.csv')}: a row without lora_path and lora_idx: ${row.slice(0, 80)}`);
      const ref = `${join(fullDir, shard)}#${index}`;
      const res = await asJob(ctx, `Import the demo's full finetune ${index}`, (job) => runAdapterImport(ctx, ref, demo.modelId, job, FULL_RANK));
      ids.push(...res.adapterIds);
    }
    out.push({ name: 'full-finetune', request: request(demo.ditAdapterId, { adapterIds: ids }, ['base', 'trigger', 'dit']) });
  }
  return out;
}
