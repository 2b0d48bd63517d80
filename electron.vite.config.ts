import { resolve } from 'node:path';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'electron-vite';

const here = (path: string): string => resolve(import.meta.dirname, path);

// Three targets with fixed entries: main (the Electron main process, plus the lab's worker
// modules so a bundled app can start them without tsx, plus the CLI), preload (CommonJS: a
// sandboxed preload cannot be ESM) and the renderer.
// Entries go through `build.rolldownOptions.input`, not `build.lib.entry` (that breaks `?modulePath`
// worker imports). Dependencies stay external (`externalizeDeps`, on by default), so the native
// better-sqlite3 module is loaded from node_modules at run time, never bundled.
export default defineConfig({
  main: {
    build: {
      externalizeDeps: true,
      rolldownOptions: {
        input: {
          index: here('main/index.ts'),
          cli: here('main/sva-lab.ts'),
          sim_worker: here('main/lab/workers/sim_worker.ts'),
          writer_worker: here('main/lab/workers/writer_worker.ts'),
          reader_worker: here('main/lab/workers/reader_worker.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      externalizeDeps: true,
      rolldownOptions: {
        input: { index: here('preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  // The Vue renderer: a plain web page (served by Electron from out/renderer, or by `serve` mode).
  // electron-vite needs both `root` and the html entry for a top-level renderer folder.
  renderer: {
    root: here('renderer'),
    // Relative asset URLs: the page loads from file:// in Electron and from / in serve mode.
    base: './',
    plugins: [vue()],
    build: {
      outDir: here('out/renderer'),
      emptyOutDir: true,
      rolldownOptions: {
        input: here('renderer/index.html'),
      },
    },
  },
});
