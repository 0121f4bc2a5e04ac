// Entry of engine hosts and import workers when running from TypeScript sources: registers tsx
// in this thread or process (loader hooks are per thread), then starts the module named in
// workerData.entry, else the engine host (a forked process or a worker thread).
import { register } from 'tsx/esm/api';
import { isMainThread, workerData } from 'node:worker_threads';

register();
await import(workerData?.entry ?? (isMainThread ? './process.ts' : './worker.ts'));
