// Entry of the lab's workers when running from TypeScript sources (CLI, tests): a .ts file cannot
// be a worker_threads entry on Node 20 even with `--import tsx`, so this plain module registers
// tsx inside the worker and then loads the real worker module, named by workerData.entry
// ('sim_worker' or 'writer_worker'). A bundled build (electron-vite) points each Worker at its
// compiled module instead and never loads this file.
import { fileURLToPath } from 'node:url';
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

const ENTRIES = new Set(['sim_worker', 'writer_worker', 'reader_worker', 'lab_host']);
// A worker thread names its module in workerData; a child process (the user-SQL reader, read.ts)
// in SVA_LAB_WORKER_ENTRY.
const entry = workerData?.entry ?? process.env.SVA_LAB_WORKER_ENTRY;
if (!ENTRIES.has(entry)) throw new Error(`worker-boot: unknown worker entry '${entry}'`);
register({ tsconfig: fileURLToPath(new URL('../../../tsconfig.json', import.meta.url)) });
await import(new URL(`./${entry}.ts`, import.meta.url).href);
