// Engine host in a worker thread: onnxruntime runs synchronously, so runs happen here and never
// block the thread that owns the UI or the HTTP server.
import { parentPort } from 'node:worker_threads';
import type { HostReply } from './protocol.ts';
import { serveEngine } from './serve-engine.ts';

const port = parentPort!;
serveEngine({ onMessage: (fn) => port.on('message', fn), send: (m: HostReply) => port.postMessage(m) });
