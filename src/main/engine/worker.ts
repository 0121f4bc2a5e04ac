// The engine's worker thread: onnxruntime runs synchronously, so runs happen here and never
// block the thread that owns the UI or the HTTP server. Cancellation arrives through a shared
// flag that the generation loop reads before every token.
import { parentPort } from 'node:worker_threads';
import { loadLowRank } from './adapters/load.ts';
import { Engine } from './engine.ts';
import type { WorkerReply, WorkerRequest } from './protocol.ts';

const engines = new Map<string, Promise<Engine>>();
const port = parentPort!;
const reply = (m: WorkerReply) => port.postMessage(m);

function engineFor(dir: string, options = {}): Promise<Engine> {
  let engine = engines.get(dir);
  if (!engine) {
    engine = Engine.load(dir, loadLowRank, options);
    engines.set(dir, engine);
    engine.catch(() => engines.delete(dir));
  }
  return engine;
}

// Requests run one at a time, in arrival order: a session serves one run at a time anyway.
let queue = Promise.resolve();

port.on('message', (req: WorkerRequest) => {
  queue = queue.then(() => handle(req)).catch((err: Error) => reply({ reqId: req.reqId, type: 'error', message: err.message }));
});

async function handle(req: WorkerRequest): Promise<void> {
  switch (req.op) {
    case 'load': {
      const e = await engineFor(req.dir, req.options);
      reply({ reqId: req.reqId, type: 'loaded', info: { dir: req.dir, provider: e.session.provider, skipped: e.session.skipped, manifest: e.manifest } });
      return;
    }
    case 'ask': {
      const e = await engineFor(req.dir);
      const flag = new Int32Array(req.cancel);
      const result = await e.ask(
        req.rows,
        req.options,
        (row, t) => reply({ reqId: req.reqId, type: 'token', row, id: t.id, text: t.text }),
        () => Atomics.load(flag, 0) !== 0,
      );
      reply({ reqId: req.reqId, type: 'answer', result });
      return;
    }
    case 'unload': {
      const e = engines.get(req.dir);
      engines.delete(req.dir);
      if (e) await (await e).release();
      reply({ reqId: req.reqId, type: 'unloaded' });
      return;
    }
  }
}
