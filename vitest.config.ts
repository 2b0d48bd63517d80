import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Renderer component tests import .vue files (they pick happy-dom per file).
  plugins: [vue()],
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // Child processes, not threads: a native module (better-sqlite3) that crashes takes down
    // one test file, not the runner; tests may start their own worker_threads freely.
    pool: 'forks',
    // Scenario runs and trace recording are real work on a 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
