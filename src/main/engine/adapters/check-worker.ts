// Worker thread entry of off-thread.ts: one check, one reply, then the thread ends.
import { parentPort, workerData } from 'node:worker_threads';
import { runCheck, type CheckReply, type CheckRequest } from './check.ts';

let reply: CheckReply;
try {
  reply = { ok: true, result: runCheck(workerData as CheckRequest) };
} catch (e) {
  reply = { ok: false, message: e instanceof Error ? e.message : String(e) };
}
parentPort!.postMessage(reply);
