// The engine in a child process of its own: answers like the worker-thread host, and when the
// process dies mid-answer the caller gets a clear error and the next request gets a new process.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { EngineClient } from '../../src/main/engine/client.ts';
import { tinyModel, type TinyModel } from '../helpers/models.ts';

describe('engine host in a child process', () => {
  let model: TinyModel;
  const clients: EngineClient[] = [];
  const client = (kind: 'thread' | 'process') => {
    const c = new EngineClient(kind);
    clients.push(c);
    return c;
  };
  before(async () => {
    model = await tinyModel('qwen3');
  });
  after(async () => {
    for (const c of clients) await c.close();
  });

  const row = { prompt: 'The weather today is', stack: [] };

  it('gives the same greedy answer as the worker-thread host', async () => {
    const [a, b] = [client('thread'), client('process')];
    const ra = await a.ask(model.libDir, [row], { maxTokens: 12 }).result;
    const rb = await b.ask(model.libDir, [row], { maxTokens: 12 }).result;
    assert.deepEqual(rb.rows[0].tokens, ra.rows[0].tokens);
    assert.notEqual(b.hostPid, process.pid);
  });

  it('cancels between two tokens', async () => {
    const c = client('process');
    let seen = 0;
    const answer = c.ask(model.libDir, [row], { maxTokens: 400 }, () => {
      if (++seen === 3) answer.cancel();
    });
    const { rows } = await answer.result;
    assert.equal(rows[0].finishReason, 'cancelled');
    assert.ok(rows[0].tokens.length < 400);
  });

  it('survives the death of its process: the answer fails clearly, the next one works', async () => {
    const c = client('process');
    let crashed: Error | null = null;
    c.onCrash = (err) => (crashed = err);
    await c.load(model.libDir);
    const pid = c.hostPid!;
    let killed = false;
    const answer = c.ask(model.libDir, [row], { maxTokens: 400 }, () => {
      if (!killed) {
        killed = true;
        process.kill(pid, 'SIGKILL');
      }
    });
    await assert.rejects(answer.result, /engine process stopped: killed by SIGKILL/);
    assert.match(String(crashed), /SIGKILL/);
    const again = await c.ask(model.libDir, [row], { maxTokens: 5 }).result;
    assert.equal(again.rows[0].tokens.length, 5);
    assert.notEqual(c.hostPid, pid);
  });
});
