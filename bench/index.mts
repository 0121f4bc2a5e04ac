// `npm run bench [-- --json] [-- --only engine|catalog|eval|scale [--preset P]]`: figures as ratios to a limit measured
// in the same run, or as absolute times where the brief sets a bound.
import { join } from 'node:path';
import { benchEngine, type EngineBench } from './engine.ts';
import { benchCatalog, type CatalogBench } from './catalog.ts';
import { benchEval, type EvalBench } from './eval.ts';
import { benchScale, type ScaleBench } from './scale.ts';
import type { MakeModelPreset } from '../src/main/engine/dev/make-model.ts';

const args = process.argv.slice(2);
const json = args.includes('--json');
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : null;
const work = join(import.meta.dirname, '.tmp');
const log = (s: string) => process.stderr.write(`${s}\n`);

const preset = (args.includes('--preset') ? args[args.indexOf('--preset') + 1] : 'qwen3-4b') as MakeModelPreset;
const result: { engine?: EngineBench; catalog?: CatalogBench; eval?: EvalBench; scale?: ScaleBench } = {};
if (!only || only === 'engine') result.engine = await benchEngine(work, log);
if (!only || only === 'catalog') result.catalog = await benchCatalog(work, log);
if (!only || only === 'eval') result.eval = await benchEval(work, log);
// the full-size checkpoint takes minutes and gigabytes: only when asked for
if (only === 'scale') result.scale = await benchScale(work, log, preset);

if (json) {
  console.log(JSON.stringify(result, null, 2));
} else {
  const e = result.engine;
  if (e) {
    console.log(`engine (qwen3 0.6b shapes, fp32, ${e.provider}, ${e.threads} threads)`);
    console.log(`  decode            ${e.decodeTokensPerSec.toFixed(2)} tok/s = ${(e.rooflineRatio * 100).toFixed(1)}% of roofline ${e.rooflineTokensPerSec.toFixed(2)} tok/s`);
    console.log(`                    (${(e.weightBytesPerToken / 1e9).toFixed(2)} GB of weights per token at ${e.readBandwidthGBps.toFixed(1)} GB/s: the faster of the read probe, ${e.probedBandwidthGBps.toFixed(1)} GB/s, and the linears' own streaming)`);
    console.log(`  prefill (128)     ${e.prefillTokensPerSec.toFixed(1)} tok/s`);
    console.log(`  rank-17 stack     ${(e.loraOverheadRatio * 100).toFixed(1)}% of rank-0 decode speed (${e.decodeRank17TokensPerSec.toFixed(2)} tok/s)`);
    console.log(`  swap diff         ${e.swapMs.toFixed(2)} ms (whole stack: ${e.swapFullMs.toFixed(2)} ms), no session rebuild`);
    console.log(`  position 2,048    ${(e.longContext * 100).toFixed(1)}% of decode speed at position 16`);
    for (const [id, p] of Object.entries(e.precisions)) {
      console.log(
        `  ${id.padEnd(5)} decode ${p.decodeTokensPerSec.toFixed(2)} tok/s = ${(p.rooflineRatio * 100).toFixed(1)}% of ${p.rooflineTokensPerSec.toFixed(1)}; prefill ${p.prefillTokensPerSec.toFixed(0)} tok/s; rank 17 ${(p.loraOverheadRatio * 100).toFixed(1)}%; at 2,048 ${(p.longContextRatio * 100).toFixed(1)}%; load ${p.loadMs.toFixed(0)} ms (first ${p.firstLoadMs.toFixed(0)} ms)`,
      );
      console.log(
        `        the linears alone ${p.kernelFloorMs.toFixed(2)} ms/token = ${(p.kernelFloorRooflineRatio * 100).toFixed(1)}% of roofline, ${(p.kernelShareOfStep * 100).toFixed(1)}% of a decode step`,
      );
    }
  }
  const sc = result.scale;
  if (sc) {
    console.log(`scale (${sc.preset}, ${(sc.checkpointBytes / 1e9).toFixed(1)} GB checkpoint, ${sc.cores} cores)`);
    for (const [id, r] of Object.entries(sc.runs)) {
      console.log(
        `  ${id} import ${r.importSeconds.toFixed(1)} s (peak RSS ${(r.importPeakRssBytes / 1e9).toFixed(2)} GB), ${(r.modelBytes / 1e9).toFixed(2)} GB; first session after import ${r.firstTimeToFirstTokenMs.toFixed(0)} ms to its first token (packs and saves ${(r.preparedBytes / 1e9).toFixed(2)} GB); later: load ${r.sessionLoadMs.toFixed(0)} ms; first token ${r.timeToFirstTokenMs.toFixed(0)} ms; decode ${r.decodeTokensPerSec.toFixed(2)} tok/s = ${(r.rooflineRatio * 100).toFixed(1)}% of roofline; ask peak RSS ${(r.askPeakRssBytes / 1e9).toFixed(2)} GB`,
      );
    }
  }
  const c = result.catalog;
  if (c) {
    console.log(`catalog`);
    console.log(`  search            ${c.searchMs.toFixed(1)} ms median over ${c.messages.toLocaleString('en')} messages (worst query ${c.worstMs.toFixed(1)} ms; after optimize ${c.optimizedSearchMs.toFixed(1)} ms)`);
    console.log(`  experiment import ${c.experimentImportSeconds.toFixed(2)} s for ${c.experimentDiffs.toLocaleString('en')} diffs`);
  }
  const v = result.eval;
  if (v) {
    console.log(`eval (${v.source === 'demo' ? "the demo's test split" : 'generated experiment, tiny random Qwen3'}, ${v.items} items, greedy)`);
    console.log(`  batch ${v.batch}           ${v.batchedSeconds.toFixed(1)} s vs ${v.sequentialSeconds.toFixed(1)} s one at a time = ${v.speedup.toFixed(2)}x, answers ${v.identical ? 'identical' : 'DIFFER'}`);
  }
}
