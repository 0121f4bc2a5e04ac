// Build of the three Electron targets. Main and the engine worker are ES modules (package.json
// "type": "module"); the preload is CommonJS because a sandboxed preload cannot be an ES module.
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'electron-vite';
import type { Plugin } from 'vite';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const src = (path: string) => new URL(`./src/${path}`, import.meta.url).pathname;

/**
 * In `electron-vite dev`, Vite injects component styles as <style> elements, which the page's
 * CSP forbids. Relax style-src for the dev server only; the built index.html keeps the strict one.
 */
const devStyleCsp = (): Plugin => ({
  name: 'diffscope:dev-style-csp',
  apply: 'serve',
  transformIndexHtml: (html) => html.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'"),
});

/** The catalog reads its numbered migrations from ./migrations next to the bundled code. */
const catalogMigrations = (): Plugin => ({
  name: 'diffscope:catalog-migrations',
  apply: 'build',
  generateBundle() {
    const dir = src('main/catalog/migrations');
    for (const name of readdirSync(dir).filter((n) => n.endsWith('.sql'))) {
      this.emitFile({ type: 'asset', fileName: `migrations/${name}`, source: readFileSync(join(dir, name), 'utf8') });
    }
  },
});

export default defineConfig({
  main: {
    plugins: [catalogMigrations()],
    build: {
      // Dependencies (onnxruntime-node, @huggingface/*, later better-sqlite3) stay external: loaded
      // from node_modules at run time, native binaries included.
      externalizeDeps: true,
      rolldownOptions: {
        input: {
          index: src('main/app/index.ts'),
          cli: src('main/cli/index.ts'), // bin/diffscope.js runs it when the checkout is built
          worker: src('main/engine/worker.ts'),
          'engine-process': src('main/engine/process.ts'),
          'check-worker': src('main/engine/adapters/check-worker.ts'), // adapters/off-thread.ts
          'convert-worker': src('main/engine/build/convert-worker.ts'),
        },
        output: {
          entryFileNames: '[name].js',
          // Shared chunks sit beside the entries, not in a subfolder: engine/client.ts finds the
          // worker as new URL('./worker.js', import.meta.url), so whichever chunk client.ts lands
          // in must be in out/main/ next to worker.js.
          chunkFileNames: '[name]-[hash].js',
        },
      },
    },
  },
  preload: {
    build: {
      // A sandboxed preload can require only 'electron' and a few built-ins: bundle everything.
      externalizeDeps: false,
      rolldownOptions: {
        input: { index: src('preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: src('renderer'),
    build: {
      rolldownOptions: { input: { index: src('renderer/index.html') } },
    },
    plugins: [svelte({ configFile: false }), devStyleCsp()],
  },
});
