// The engine in its worker thread, as the app and the CLI use it through EngineClient: streaming,
// a caller's event loop that stays free, cancellation, errors that do not kill the worker, and
// answers that depend on the stack and the seed exactly as they should.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { EngineClient } from '../../src/main/engine/client.ts';
import type { AskOptions, AskRow, FileStackEntry } from '../../src/main/engine/engine.ts';
import { writeOwnLowRank } from '../../src/main/engine/adapters/own-format.ts';
import { ModelSession } from '../../src/main/engine/session.ts';
import { StackFeeds } from '../../src/main/engine/stack.ts';
import { generate } from '../../src/main/engine/generate.ts';
import { GREEDY } from '../../src/main/engine/sampler.ts';
import { randomLowRank, tinyModel, type TinyModel } from '../helpers/models.ts';
import { tmpDir } from '../helpers/tmp.ts';

// A raw prompt (no chat template): the tiny random model never produces an EOS id after it,
// so a run lasts exactly maxTokens steps.
const PROMPT = 'The quick brown fox jumps over the lazy dog.';
const raw = (stack: FileStackEntry[] = []): AskRow[] => [{ prompt: PROMPT, stack }];

describe('EngineClient (engine in a worker thread)', () => {
  let model: TinyModel;
  let client: EngineClient;
  let adapterA: string;
  let adapterB: string;

  before(async () => {
    model = await tinyModel('qwen3');
    const dir = tmpDir('worker-adapters');
    adapterA = join(dir, 'a.safetensors');
    adapterB = join(dir, 'b.safetensors');
    writeOwnLowRank(adapterA, randomLowRank(model.config, 4, 31));
    writeOwnLowRank(adapterB, randomLowRank(model.config, 4, 32));
    client = new EngineClient();
    await client.load(model.libDir, { provider: 'cpu' });
  });
  after(() => client?.close());

  const ask = async (rows: AskRow[], options: AskOptions = {}) => (await client.ask(model.libDir, rows, options).result).rows[0];

  it('streams each visible piece once, before the answer, adding up to its text', async () => {
    const pieces: { id: number; text: string }[] = [];
    let answered = false;
    let late = 0; // pieces after the answer, or for another row (counted: a throw here would be uncaught)
    const answer = client.ask(model.libDir, raw(), { maxTokens: 24 }, (row, t) => {
      if (answered || row !== 0) late++;
      pieces.push(t);
    });
    const { rows } = await answer.result;
    answered = true;
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(late, 0);
    const [row] = rows;
    assert.equal(row.tokens.length, 24);
    assert.ok(pieces.length > 0 && pieces.length <= row.tokens.length, `${pieces.length} pieces for ${row.tokens.length} tokens`);
    assert.ok(pieces.every((p) => p.text !== ''), 'an empty piece was streamed');
    assert.equal(pieces.map((p) => p.text).join(''), row.text);
    // each piece is announced by the token that completed it, in order
    let at = 0;
    for (const p of pieces) {
      const found = row.tokens.indexOf(p.id, at);
      assert.ok(found >= 0, `piece token ${p.id} is not in the answer's tokens after position ${at}`);
      at = found + 1;
    }
  });

  it('loads and runs a model without a single onnxruntime call on the caller\'s thread', async () => {
    // The caller's event loop stays free because every synchronous onnxruntime call (the session
    // constructor, each run) happens in the worker, which has its own copy of the module. Counting
    // those calls here, on the caller's copy, checks that without timing anything.
    const ort = await import('onnxruntime-node');
    const Session = ort.InferenceSession as unknown as { create: (...a: unknown[]) => unknown; prototype: { run: (...a: unknown[]) => unknown } };
    const { create } = Session;
    const { run } = Session.prototype;
    let calls = 0;
    Session.create = function (this: unknown, ...a: unknown[]) {
      calls++;
      return create.apply(this, a);
    };
    Session.prototype.run = function (this: unknown, ...a: unknown[]) {
      calls++;
      return run.apply(this, a);
    };
    const own = new EngineClient();
    try {
      await own.load(model.libDir, { provider: 'cpu' });
      const { rows } = await own.ask(model.libDir, raw(), { maxTokens: 200 }).result;
      assert.equal(rows[0].finishReason, 'length');
      assert.equal(rows[0].tokens.length, 200);
    } finally {
      Session.create = create;
      Session.prototype.run = run;
      await own.close();
    }
    assert.equal(calls, 0, 'onnxruntime calls on the caller\'s thread');
  });

  it('stops a run soon after cancel(), keeping what was streamed', async () => {
    // The worker reads the cancel flag before every step (exactly-one-step is checked in the
    // in-thread test below), but it does not wait for the caller: tokens it made while the 5th
    // was on its way to this thread still arrive (usually 0 or 1, up to 2 seen on a loaded machine).
    // So this asserts that the run stopped early and cleanly, not an exact count.
    const pieces: string[] = [];
    const answer = client.ask(model.libDir, raw(), { maxTokens: 200 }, (_row, t) => {
      pieces.push(t.text);
      if (pieces.length === 5) answer.cancel();
    });
    const [row] = (await answer.result).rows;
    assert.equal(row.finishReason, 'cancelled');
    assert.ok(row.tokens.length >= 5 && row.tokens.length < 50, `${row.tokens.length} tokens after cancelling at the 5th`);
    assert.equal(pieces.join(''), row.text);
  });

  it('never starts a run that was cancelled while it waited behind another', async () => {
    const first = client.ask(model.libDir, raw(), { maxTokens: 100 });
    const second = client.ask(model.libDir, raw(), { maxTokens: 100 });
    second.cancel(); // requests run one at a time: the second waits for the first's 100 steps
    const [a, b] = await Promise.all([first.result, second.result]);
    assert.equal(a.rows[0].finishReason, 'length');
    assert.equal(b.rows[0].finishReason, 'cancelled');
    assert.deepEqual(b.rows[0].tokens, []);
  });

  it('rejects an ask whose adapter does not exist, naming it, and serves the next ask', async () => {
    const base = await ask(raw(), { maxTokens: 8 });
    const missing = join(tmpDir('worker-missing'), 'nope.safetensors');
    await assert.rejects(client.ask(model.libDir, raw([{ path: missing, scale: 1 }]), { maxTokens: 8 }).result, (err: Error) => {
      assert.match(err.message, /no such adapter file/);
      assert.ok(err.message.includes(missing), err.message);
      assert.doesNotMatch(err.message, /\n/);
      return true;
    });
    const after = await ask(raw(), { maxTokens: 8 });
    assert.deepEqual(after.tokens, base.tokens);
  });

  it('answers by the stack it is given, from one ask to the next', async () => {
    const greedy = { maxTokens: 12 };
    const base = await ask(raw(), greedy);
    const withA = await ask(raw([{ path: adapterA, scale: 1 }]), greedy);
    const withB = await ask(raw([{ path: adapterB, scale: 1 }]), greedy); // same rank: B's columns overwrite A's
    const baseAgain = await ask(raw(), greedy); // A and B must not linger
    assert.notDeepEqual(withA.tokens, base.tokens);
    assert.notDeepEqual(withB.tokens, withA.tokens);
    assert.deepEqual(baseAgain.tokens, base.tokens);
  });

  it('samples reproducibly: the same stack and seed give the same answer, another seed another', async () => {
    const stack = [{ path: adapterA, scale: 1 }];
    const sampling = (seed: number) => ({ maxTokens: 16, sampling: { temperature: 0.9, topK: 20, seed } });
    const first = await ask(raw(stack), sampling(5));
    const again = await ask(raw(stack), sampling(5));
    const otherSeed = await ask(raw(stack), sampling(6));
    const greedy = await ask(raw(stack), { maxTokens: 16 });
    assert.deepEqual(again.tokens, first.tokens);
    assert.equal(again.text, first.text);
    assert.notDeepEqual(otherSeed.tokens, first.tokens);
    assert.notDeepEqual(first.tokens, greedy.tokens, 'temperature 0.9 sampled exactly the greedy answer');
  });
});

describe('cancellation flag, read in the generating thread', () => {
  let session: ModelSession;
  before(async () => {
    session = await ModelSession.open((await tinyModel('qwen3')).libDir, { provider: 'cpu' });
  });
  after(() => session?.release());

  it('stops before the next step: set while the 5th token is delivered, the run has exactly 5', async () => {
    // The same wiring as worker.ts: a shared Int32 flag that shouldStop reads with Atomics.load.
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const feeds = new StackFeeds(session.manifest.shapes);
    feeds.set([[]]);
    let delivered = 0;
    const prompt = Array.from({ length: 10 }, (_, i) => 1000 + 37 * i); // any ids will do
    const { rows } = await generate(session, feeds, [prompt], {
      maxTokens: 200,
      sampling: GREEDY,
      eosIds: [],
      newDecoder: () => ({ push: (id) => `<${id}>` }), // every token visible
      onToken: () => {
        if (++delivered === 5) Atomics.store(flag, 0, 1);
      },
      shouldStop: () => Atomics.load(flag, 0) !== 0,
    });
    assert.equal(rows[0].finishReason, 'cancelled');
    assert.equal(rows[0].tokens.length, 5);
    assert.equal(delivered, 5);
  });
});
