#!/usr/bin/env node
// Entry of the `diffscope` command: runs the TypeScript CLI through tsx.
import { register } from 'tsx/esm/api';

register();
await import('../src/main/cli/index.ts');
