// The engine host's loop: loads engines by library folder and answers requests one at a time, in
// arrival order (a session serves one run at a time anyway). Cancellation is a message: it lands
// between two steps because the generation loop yields to the event loop before every step.
import { loadLowRank } from './adapters/load.ts';
import { Engine } from './engine.ts';
import { scoreText } from './score.ts';
import type { HostReply, HostRequest, Port } from './protocol.ts';

export function serveEngine(port: Port<HostRequest, HostReply>): void {
  const engines = new Map<string, Promise<Engine>>();
  const cancelled = new Set<number>();
  let queue = Promise.resolve();

  const engineFor = (dir: string, options = {}): Promise<Engine> => {
    let engine = engines.get(dir);
    if (!engine) {
      engine = Engine.load(dir, loadLowRank, options);
      engines.set(dir, engine);
      engine.catch(() => engines.delete(dir));
    }
    return engine;
  };

  const handle = async (req: HostRequest): Promise<void> => {
    switch (req.op) {
      case 'load': {
        const e = await engineFor(req.dir, req.options);
        port.send({ reqId: req.reqId, type: 'loaded', info: { dir: req.dir, provider: e.session.provider, skipped: e.session.skipped, manifest: e.manifest } });
        return;
      }
      case 'ask': {
        const stop = () => cancelled.has(req.reqId);
        if (stop()) {
          cancelled.delete(req.reqId);
          port.send({ reqId: req.reqId, type: 'answer', result: { rows: req.rows.map(() => ({ text: '', tokens: [], finishReason: 'cancelled', promptTokens: 0 })), stats: emptyStats() } });
          return;
        }
        const e = await engineFor(req.dir);
        try {
          const result = await e.ask(req.rows, req.options, (row, t) => port.send({ reqId: req.reqId, type: 'token', row, id: t.id, text: t.text }), stop);
          port.send({ reqId: req.reqId, type: 'answer', result });
        } finally {
          cancelled.delete(req.reqId);
        }
        return;
      }
      case 'score': {
        const e = await engineFor(req.dir);
        port.send({ reqId: req.reqId, type: 'scored', result: await scoreText(e, req.input) });
        return;
      }
      case 'unload': {
        const e = engines.get(req.dir);
        engines.delete(req.dir);
        if (e) await (await e).release();
        port.send({ reqId: req.reqId, type: 'unloaded' });
        return;
      }
      case 'cancel':
        return;
    }
  };

  port.onMessage((req) => {
    if (req.op === 'cancel') {
      cancelled.add(req.target); // takes effect at once, even for a request still queued
      return;
    }
    queue = queue.then(() => handle(req)).catch((err: Error) => port.send({ reqId: req.reqId, type: 'error', message: err.message }));
  });
}

function emptyStats() {
  return { promptTokens: 0, generatedTokens: 0, ttftMs: 0, promptTokensPerSec: 0, decodeTokensPerSec: 0, totalMs: 0, provider: '' };
}
