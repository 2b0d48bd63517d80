import { resolve } from 'node:path';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'electron-vite';

const here = (path: string): string => resolve(import.meta.dirname, path);

// Main-process target only for now. The desktop app (main/index.ts, preload/, renderer/) adds its
// entries and targets here; until then the main target builds the headless CLI.
// Entries go through `build.rolldownOptions.input`, not `build.lib.entry` (that breaks `?modulePath`
// worker imports). Dependencies stay external (`externalizeDeps`, on by default), so the native
// better-sqlite3 module is loaded from node_modules at run time, never bundled.
export default defineConfig({
  main: {
    build: {
      externalizeDeps: true,
      rolldownOptions: {
        input: {
          cli: here('main/cli/index.ts'),
        },
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
