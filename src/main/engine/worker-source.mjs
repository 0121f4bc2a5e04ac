// Engine host entry when running from TypeScript sources: registers tsx in this thread or
// process (loader hooks are per thread), then starts the host named in argv or the worker.
import { register } from 'tsx/esm/api';
import { isMainThread } from 'node:worker_threads';

register();
await import(isMainThread ? './process.ts' : './worker.ts');
