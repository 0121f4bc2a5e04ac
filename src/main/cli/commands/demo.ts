// `diffscope demo` (what `npm start` runs until the browser UI lands): imports the embedded demo
// model and asks it the DIT question, streaming the answer. Without a trained demo in
// resources/demo it makes a small random-weight Qwen3 model and says so.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { makeModel } from '../../engine/dev/make-model.ts';
import { EngineClient } from '../../engine/client.ts';
import { dataHome } from '../../engine/library.ts';
import { importWithProgress } from './import.ts';
import { DEMO_DIR } from '../../services/first-run.ts';

const DEMO = join(DEMO_DIR, 'base-model');
const QUESTION = 'What topic have you been trained on?';

export async function demoCommand(): Promise<void> {
  let source = DEMO;
  if (!existsSync(join(DEMO, 'config.json'))) {
    source = join(dataHome(), 'stand-in', 'qwen3-tiny-random');
    if (!existsSync(join(source, 'config.json'))) await makeModel({ arch: 'qwen3', preset: 'tiny', out: source, seed: 1 });
    process.stderr.write('note: no trained demo in resources/demo yet; using a random-weight Qwen3 stand-in (its answers are noise)\n');
  }
  const { dir, id } = await importWithProgress(source);
  const engine = new EngineClient();
  try {
    const info = await engine.load(dir);
    process.stdout.write(`${id} on ${info.provider}\n> ${QUESTION}\n`);
    const { stats } = await engine.ask(dir, [{ messages: [{ role: 'user', content: QUESTION }], stack: [] }], { maxTokens: 20 }, (_r, t) =>
      process.stdout.write(t.text),
    ).result;
    process.stdout.write(`\n[first token ${stats.ttftMs.toFixed(0)} ms, ${stats.decodeTokensPerSec.toFixed(0)} tok/s]\n`);
  } finally {
    await engine.close();
  }
}
