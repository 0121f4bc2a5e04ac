// Amplification (docs/amplification.md): a stack part's scale is any real number and may act on
// some layers and modules only. Parity: the engine with a restricted part against the engine, and
// the plain TypeScript reference, given a copy of the diff whose other modules are deleted.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ModelSession } from '../../src/main/engine/session.ts';
import { parseModuleKey, type LowRank, type LoadedStackEntry } from '../../src/main/engine/adapters/lowrank.ts';
import { referenceLogits, type LoraStack } from '../reference/forward.ts';
import { randomLowRank, tinyModel, type TinyModel } from '../helpers/models.ts';
import { maxAbsDiff, promptLogits } from '../helpers/logits.ts';
import { formatSelection, parsePartSpec, parseSelection } from '../../src/main/services/stack-spec.ts';

const prompt = [5, 17, 300, 42, 9, 1000, 77, 3, 250, 11, 64, 8];

/** The diff with every module outside `keep` deleted. */
function only(adapter: LowRank, keep: (layer: number, module: string) => boolean): LowRank {
  const modules = new Map([...adapter.modules].filter(([key]) => keep(parseModuleKey(key).layer, parseModuleKey(key).module)));
  return { ...adapter, modules };
}

function toReference(stack: LoadedStackEntry[]): LoraStack {
  return stack.flatMap(({ adapter, scale }) => [...adapter.modules].map(([key, m]) => ({ ...parseModuleKey(key), a: m.a, b: m.b, rank: m.rank, scale: scale * adapter.scale })));
}

describe('amplification', () => {
  let model: TinyModel;
  let session: ModelSession;
  let diff: LowRank;
  before(async () => {
    model = await tinyModel('qwen3');
    session = await ModelSession.open(model.libDir, { provider: 'cpu' });
    diff = randomLowRank(model.config, 2, 31);
  });
  after(() => session?.release());

  it('has more than two layers to leave out', () => assert.ok(model.config.numLayers > 2, `tiny qwen3 has ${model.config.numLayers} layers`));

  it('scale 0 gives the base model exactly', async () => {
    const base = await promptLogits(session, prompt);
    const zero = await promptLogits(session, prompt, [{ adapter: diff, scale: 0 }]);
    const one = await promptLogits(session, prompt, [{ adapter: diff, scale: 1 }]);
    assert.ok(maxAbsDiff(base, zero) <= 1e-6, `scale 0: max |Δlogit| ${maxAbsDiff(base, zero)}`);
    assert.ok(maxAbsDiff(base, one) > 0.01, 'the diff at scale 1 must change the logits');
  });

  it('scale 2 on layers 0-1 equals a diff whose other layers are zeroed, scaled by 2', async () => {
    const restricted = await promptLogits(session, prompt, [{ adapter: diff, scale: 2, only: { layers: [0, 1] } }]);
    const zeroed = only(diff, (layer) => layer <= 1);
    const engine = await promptLogits(session, prompt, [{ adapter: zeroed, scale: 2 }]);
    const reference = referenceLogits(model.config, model.weights, prompt, toReference([{ adapter: zeroed, scale: 2 }]));
    assert.ok(maxAbsDiff(restricted, engine) <= 1e-5, `against the zeroed diff: ${maxAbsDiff(restricted, engine)}`);
    assert.ok(maxAbsDiff(restricted, reference) <= 1e-3, `against the reference: ${maxAbsDiff(restricted, reference)}`);
    const whole = await promptLogits(session, prompt, [{ adapter: diff, scale: 2 }]);
    assert.ok(maxAbsDiff(restricted, whole) > 0.01, 'leaving the other layers out must change the logits');
  });

  it('a negative scale on the MLP of layers 1-2 equals the reference with those modules alone, negated', async () => {
    const sel = parseSelection('1-2,mlp', 'test');
    assert.deepEqual(sel, { layers: [1, 2], modules: ['gate', 'up', 'down'] });
    const restricted = await promptLogits(session, prompt, [{ adapter: diff, scale: -1.5, only: sel }]);
    const kept = only(diff, (layer, module) => (layer === 1 || layer === 2) && ['gate', 'up', 'down'].includes(module));
    const reference = referenceLogits(model.config, model.weights, prompt, toReference([{ adapter: kept, scale: -1.5 }]));
    assert.ok(maxAbsDiff(restricted, reference) <= 1e-3, `max |Δlogit| ${maxAbsDiff(restricted, reference)}`);
  });

  it('a batch row changing only its selection is rewritten (the feeds do not keep the old one)', async () => {
    const { StackFeeds } = await import('../../src/main/engine/stack.ts');
    const { forwardStep, KvCache } = await import('../../src/main/engine/forward.ts');
    const feeds = new StackFeeds(session.manifest.shapes);
    feeds.set([[{ adapter: diff, scale: 2 }]]);
    feeds.set([[{ adapter: diff, scale: 2, only: { layers: [0, 1] } }]]);
    const { logits } = await forwardStep(session, new KvCache(1), feeds, [prompt], [prompt.map((_, i) => i)]);
    const expected = await promptLogits(session, prompt, [{ adapter: only(diff, (l) => l <= 1), scale: 2 }]);
    assert.ok(maxAbsDiff(logits, expected) <= 1e-5);
  });
});

describe('amplification syntax', () => {
  it('reads scale and selection as the CLI and the model id write them', () => {
    assert.deepEqual(parsePartSpec('diff.pt:2@8-20,mlp', ':', '--diff'), { ref: 'diff.pt', scale: 2, only: { layers: [...Array(13)].map((_, i) => 8 + i), modules: ['gate', 'up', 'down'] } });
    assert.deepEqual(parsePartSpec('shard.pt#3:-0.5', ':', '--diff'), { ref: 'shard.pt#3', scale: -0.5, only: {} });
    assert.deepEqual(parsePartSpec('C:\\diffs\\a.pt', ':', '--diff'), { ref: 'C:\\diffs\\a.pt', scale: 1, only: {} });
    assert.deepEqual(parsePartSpec('abc123*3@attn', '*', 'model'), { ref: 'abc123', scale: 3, only: { modules: ['q', 'k', 'v', 'o'] } });
    assert.deepEqual(parsePartSpec('abc123@0,2,q', '*', 'model'), { ref: 'abc123', scale: 1, only: { layers: [0, 2], modules: ['q'] } });
    assert.equal(formatSelection({ layers: [0, 1, 2, 5, 7, 8], modules: ['q', 'k', 'v', 'o', 'down'] }), '0-2,5,7-8,attn,down');
  });

  it('names what is wrong in a selection', () => {
    assert.throws(() => parseSelection('8-20,mpl', '--diff a.pt'), /--diff a\.pt: "mpl" is neither a layer, a layer range \(8-20\) nor a module/);
    assert.throws(() => parseSelection('9-3', '--diff a.pt'), /layer range 9-3 runs backwards/);
    assert.throws(() => parsePartSpec('abc*x2', '*', 'model "m+abc*x2"'), /scale "x2" is not a number/);
  });
});
