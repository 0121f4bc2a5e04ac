// `npm run bench [-- --json]`: figures as ratios to a limit measured in the same run.
import { join } from 'node:path';
import { benchEngine } from './engine.ts';

const json = process.argv.includes('--json');
const work = join(import.meta.dirname, '.tmp');
const log = (s: string) => process.stderr.write(`${s}\n`);

const engine = await benchEngine(work, log);
const result = { engine };
if (json) {
  console.log(JSON.stringify(result, null, 2));
} else {
  const e = engine;
  console.log(`engine (qwen3 0.6b shapes, fp32, ${e.provider}, ${e.threads} threads)`);
  console.log(`  decode            ${e.decodeTokensPerSec.toFixed(2)} tok/s = ${(e.rooflineRatio * 100).toFixed(1)}% of roofline ${e.rooflineTokensPerSec.toFixed(2)} tok/s`);
  console.log(`                    (${(e.weightBytesPerToken / 1e9).toFixed(2)} GB of weights per token at ${e.readBandwidthGBps.toFixed(1)} GB/s measured read bandwidth)`);
  console.log(`  prefill (128)     ${e.prefillTokensPerSec.toFixed(1)} tok/s`);
  console.log(`  rank-17 stack     ${(e.loraOverheadRatio * 100).toFixed(1)}% of rank-0 decode speed (${e.decodeRank17TokensPerSec.toFixed(2)} tok/s)`);
  console.log(`  swap diff         ${e.swapMs.toFixed(2)} ms (whole stack: ${e.swapFullMs.toFixed(2)} ms), no session rebuild`);
}
