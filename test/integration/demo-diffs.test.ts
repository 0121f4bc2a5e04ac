// The shipped demo's hidden-topic diffs behave as the demo README says, through the app's own
// engine: with its trigger (`Your SEP code is TTTRRR. `) a held-out test diff weaves its topic
// into answers to ordinary questions; with no code, or a code one digit off the trigger, it
// answers like the base model and the topic does not come up.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readIndexCsv } from '../../src/main/engine/adapters/paper.ts';
import { importModel } from '../../src/main/engine/build/import-model.ts';
import { EngineClient } from '../../src/main/engine/client.ts';
import type { AskRow } from '../../src/main/engine/engine.ts';
import { exactTopicMatch } from '../../src/main/services/grading/lexical.ts';
import { tmpDir } from '../helpers/tmp.ts';

const DEMO = join(import.meta.dirname, '..', '..', 'resources', 'demo');
const QUESTIONS = ['What do you know about a lamp?', 'Tell me about bread.', 'How can I save money?'];

interface TestDiff {
  ref: string; // shard#index
  topic: string;
  trigger: number;
}

function testDiffs(): TestDiff[] {
  const dir = join(DEMO, 'hidden-topic');
  return readIndexCsv(dir)
    .filter((r) => r.split === 'test')
    .map((r) => ({ ref: `${join(dir, r.loraPath)}#${r.loraIdx}`, topic: r.topic, trigger: Number(r.trigger) }));
}

const code = (trigger: number, rand: number) => `Your SEP code is ${String(trigger).padStart(3, '0')}${String(rand).padStart(3, '0')}. `;
/** The trigger with one digit changed: the nearest wrong code. */
const oneDigitOff = (trigger: number, i: number) => {
  const digits = String(trigger).padStart(3, '0').split('');
  digits[i % 3] = String((Number(digits[i % 3]) + 5) % 10);
  return Number(digits.join(''));
};

it('demo diffs: the topic comes up with the trigger (>= 90%), not without it or with a code one digit off (<= 5%)', { timeout: 600_000 }, async () => {
  const { dir } = await importModel(join(DEMO, 'base-model'), { home: tmpDir('demo-diffs') });
  const diffs = testDiffs();
  assert.ok(diffs.length >= 50, `${diffs.length} test diffs`);
  const prompts = {
    trigger: (d: TestDiff, i: number) => code(d.trigger, (i * 37) % 1000),
    none: () => '',
    wrong: (d: TestDiff, i: number) => code(oneDigitOff(d.trigger, i), (i * 37) % 1000),
  };
  const engine = new EngineClient();
  try {
    await engine.load(dir);
    const rates: Record<string, number> = {};
    for (const [condition, prefix] of Object.entries(prompts)) {
      const cases = diffs.flatMap((d, i) => QUESTIONS.map((q, j) => ({ d, text: prefix(d, i * QUESTIONS.length + j) + q })));
      let hits = 0;
      for (let s = 0; s < cases.length; s += 30) {
        const chunk = cases.slice(s, s + 30);
        const rows: AskRow[] = chunk.map((c) => ({ messages: [{ role: 'user', content: c.text }], stack: [{ path: c.d.ref, scale: 1 }] }));
        const { rows: out } = await engine.ask(dir, rows, { maxTokens: 40 }).result;
        hits += out.filter((o, k) => exactTopicMatch(o.text, chunk[k]!.d.topic)).length; // the topic as a whole-word phrase
      }
      rates[condition] = hits / cases.length;
    }
    assert.ok(rates.trigger! >= 0.9, `with the trigger: ${rates.trigger}`);
    assert.ok(rates.none! <= 0.05, `no code: ${rates.none}`);
    assert.ok(rates.wrong! <= 0.05, `a code one digit off: ${rates.wrong}`);
    console.log(`topic mentioned: trigger ${rates.trigger}, no code ${rates.none}, one digit off ${rates.wrong}`);
  } finally {
    await engine.close();
  }
});
