// Vite config for the renderer harness: the real renderer with the fake backend (no service).
import { resolve } from 'node:path';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

const root = resolve(import.meta.dirname, '../../..');

export default defineConfig({
  root: import.meta.dirname,
  plugins: [vue()],
  server: { host: '127.0.0.1', strictPort: true, fs: { allow: [root] } },
  build: { target: 'es2022' },
  logLevel: 'warn',
});
