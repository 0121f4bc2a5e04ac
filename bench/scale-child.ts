// One measured step of the scale bench, alone in its own process so that its peak RSS is its own:
//   import HF_DIR HOME PRECISION   -> {seconds, maxRssBytes, weightBytes, dir}
//   ask LIB_DIR TOKENS             -> {loadMs, preparation, ttftMs, decodeTokensPerSec, tokens, maxRssBytes}
import { importModel } from '../src/main/engine/build/import-model.ts';
import type { PrecisionId } from '../src/main/engine/build/precision.ts';
import { Engine } from '../src/main/engine/engine.ts';

const [what, a, b, c] = process.argv.slice(2);
const maxRssBytes = () => process.resourceUsage().maxRSS * 1024;

if (what === 'import') {
  const t = performance.now();
  const r = await importModel(a, { home: b, precision: c as PrecisionId });
  console.log(JSON.stringify({ seconds: (performance.now() - t) / 1000, maxRssBytes: maxRssBytes(), weightBytes: r.manifest.weightBytes, dir: r.dir }));
} else if (what === 'ask') {
  const start = performance.now();
  const engine = await Engine.load(a, () => {
    throw new Error('no adapters in this bench');
  }, { provider: 'cpu' });
  const loadMs = performance.now() - start;
  let first = 0;
  const result = await engine.ask(
    [{ messages: [{ role: 'user', content: 'What topic have you been trained on?' }], stack: [] }],
    { maxTokens: Number(b), stopStrings: [] },
    () => (first ||= performance.now()),
  );
  // random weights can stop early on an end-of-turn id: rate over what was decoded
  console.log(
    JSON.stringify({ loadMs, preparation: engine.session.preparation, ttftMs: first - start, decodeTokensPerSec: result.stats.decodeTokensPerSec, tokens: result.rows[0].tokens.length, maxRssBytes: maxRssBytes() }),
  );
  await engine.release();
}
process.exit(0);
