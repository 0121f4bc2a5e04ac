// check-worker.ts when running from TypeScript sources: loader hooks are per thread, so this
// thread registers tsx before it imports the worker.
import { register } from 'tsx/esm/api';

register();
await import('./check-worker.ts');
