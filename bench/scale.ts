// `npm run bench -- --only scale [--preset qwen3-4b]`: a full-size checkpoint (made once, random
// weights, real shapes, sharded like the release), imported at int4 and int8 in a fresh library,
// then asked one question in a fresh process twice: the first session after import prepares the
// weights for this CPU, the second maps them (what every later session does). Each step runs in a
// child process so its peak RSS is measured alone. Not part of `npm test`: a Qwen3-4B checkpoint
// is 8 GB.
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { availableParallelism, totalmem } from 'node:os';
import { makeModel, type MakeModelPreset } from '../src/main/engine/dev/make-model.ts';
import { readModelConfig } from '../src/main/engine/hf/config.ts';
import { precisionFor, type PrecisionId } from '../src/main/engine/build/precision.ts';
import { preparedBytes } from '../src/main/engine/prepared.ts';
import { measureReadBandwidth } from './bandwidth.ts';
import { kernelFloorMs, streamingLimit } from './kernel-floor.ts';
import { readManifest } from '../src/main/engine/library.ts';
import { bytesPerToken } from './decode.ts';

export interface ScaleRun {
  importSeconds: number;
  importPeakRssBytes: number;
  modelBytes: number;
  /** the first session after import packs the weights for this CPU and saves them (prepared.ts) */
  firstSessionLoadMs: number;
  firstTimeToFirstTokenMs: number;
  /** disk taken by that prepared copy */
  preparedBytes: number;
  /** every later session maps the prepared copy: these are the figures a user waits for each time */
  sessionLoadMs: number;
  askPeakRssBytes: number;
  /** ask's peak RSS ÷ (1.5 × model bytes + 0.5 GB), the bound: ≤ 1 meets it */
  askRssBound: number;
  timeToFirstTokenMs: number;
  decodeTokensPerSec: number;
  rooflineTokensPerSec: number;
  rooflineRatio: number;
  /** one token through the model's linears alone (kernel-floor.ts), ms */
  kernelFloorMs: number;
}

export interface ScaleBench {
  preset: MakeModelPreset;
  checkpointBytes: number;
  /** the limit every roofline divides: max(the read probe, the linears' own streaming rate) */
  readBandwidthGBps: number;
  probedBandwidthGBps: number;
  cores: number;
  memoryBytes: number;
  runs: Partial<Record<PrecisionId, ScaleRun>>;
}

const CHILD = join(import.meta.dirname, 'scale-child.ts');
const ANSWER_TOKENS = 32;

function child(args: string[]): Record<string, number | string> {
  const out = execFileSync(process.execPath, ['--import', 'tsx', CHILD, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split('\n').at(-1)!);
}

export async function benchScale(work: string, log: (s: string) => void, preset: MakeModelPreset = 'qwen3-4b'): Promise<ScaleBench> {
  const hfDir = join(work, preset);
  if (!existsSync(join(hfDir, 'config.json'))) {
    log(`making the ${preset} checkpoint (random bf16 weights, the release's shapes and shards)...`);
    makeModel({ preset, out: hfDir, seed: 1 });
  }
  const config = readModelConfig(hfDir);
  const checkpointBytes = Number(execFileSync('du', ['-sb', hfDir], { encoding: 'utf8' }).split('\t')[0]);
  log('measuring memory read bandwidth...');
  const probed = Math.max(await measureReadBandwidth(work, availableParallelism()), await measureReadBandwidth(work, 1));
  const runs: ScaleBench['runs'] = {};
  for (const id of ['int4', 'int8'] as const) {
    const home = join(work, `scale-home-${preset}-${id}`);
    rmSync(home, { recursive: true, force: true }); // a fresh library: the import does all its work
    log(`importing ${preset} at ${id}...`);
    const imp = child(['import', hfDir, home, id]);
    log(`  ${Number(imp.seconds).toFixed(1)} s, peak RSS ${(Number(imp.maxRssBytes) / 1e9).toFixed(2)} GB; asking...`);
    const firstAsk = child(['ask', String(imp.dir), String(ANSWER_TOKENS)]);
    log(`  first session (packs and saves the weights for this CPU): load ${Number(firstAsk.loadMs).toFixed(0)} ms, first token ${Number(firstAsk.ttftMs).toFixed(0)} ms`);
    const ask = child(['ask', String(imp.dir), String(ANSWER_TOKENS)]);
    if (ask.preparation !== 'mapped') throw new Error(`the second session was ${ask.preparation}, not mapped from the prepared copy`);
    log('  the linears alone...');
    const floorMs = await kernelFloorMs(work, readManifest(String(imp.dir)), availableParallelism());
    runs[id] = {
      importSeconds: Number(imp.seconds),
      importPeakRssBytes: Number(imp.maxRssBytes),
      modelBytes: Number(imp.weightBytes),
      firstSessionLoadMs: Number(firstAsk.loadMs),
      firstTimeToFirstTokenMs: Number(firstAsk.ttftMs),
      preparedBytes: preparedBytes(String(imp.dir)),
      sessionLoadMs: Number(ask.loadMs),
      askPeakRssBytes: Number(ask.maxRssBytes),
      askRssBound: Number(ask.maxRssBytes) / (1.5 * Number(imp.weightBytes) + 0.5e9),
      timeToFirstTokenMs: Number(ask.ttftMs),
      decodeTokensPerSec: Number(ask.decodeTokensPerSec),
      rooflineTokensPerSec: 0, // below, once every precision's linears have been timed
      rooflineRatio: 0,
      kernelFloorMs: floorMs,
    };
    log(`  load ${Number(ask.loadMs).toFixed(0)} ms, first token ${Number(ask.ttftMs).toFixed(0)} ms, decode ${Number(ask.decodeTokensPerSec).toFixed(2)} tok/s`);
    rmSync(home, { recursive: true, force: true });
  }
  const perToken = (id: PrecisionId) => bytesPerToken(config, precisionFor(id));
  const measured = Object.entries(runs) as [PrecisionId, ScaleRun][];
  const bandwidth = streamingLimit(
    probed,
    measured.map(([id, r]) => ({ bytesPerToken: perToken(id), floorMs: r.kernelFloorMs })),
  );
  for (const [id, r] of measured) {
    r.rooflineTokensPerSec = bandwidth / perToken(id);
    r.rooflineRatio = r.decodeTokensPerSec / r.rooflineTokensPerSec;
  }
  return { preset, checkpointBytes, readBandwidthGBps: bandwidth / 1e9, probedBandwidthGBps: probed / 1e9, cores: availableParallelism(), memoryBytes: totalmem(), runs };
}
