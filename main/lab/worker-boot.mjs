// Entry of the sim worker when running from TypeScript sources (CLI, tests): a .ts file cannot be
// a worker_threads entry on Node 20 even with `--import tsx`, so this plain module registers tsx
// inside the worker and then loads the real worker module. A bundled build (electron-vite) points
// the Worker at the compiled sim_worker instead and never loads this file.
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register({ tsconfig: fileURLToPath(new URL('../../tsconfig.json', import.meta.url)) });
await import(new URL('./sim_worker.ts', import.meta.url).href);
