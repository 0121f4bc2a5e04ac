// Worker entry when running from TypeScript sources: registers tsx inside the worker thread
// (loader hooks are per thread), then starts the real worker.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
