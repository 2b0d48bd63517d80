import { existsSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker, type TransferListItem } from 'node:worker_threads';
import type { PoolJobMessage } from './protocol';

/** The two kinds of lab worker. */
export type WorkerEntry = 'sim_worker' | 'writer_worker' | 'reader_worker';

/** Heap limit of a reader worker (MiB). */
const READER_HEAP_MB = 1024;

/** How the workers are started: the tsx bootstrap when running from sources. */
const BOOT_URL = new URL('./boot.mjs', import.meta.url);

/**
 * In a bundled build (electron-vite: out/main/sim_worker.js next to index.js, this module maybe in
 * out/main/chunks/) each worker is its own compiled entry; from sources it goes through the tsx
 * bootstrap, which picks the module named by workerData.entry.
 */
function workerUrl(entry: WorkerEntry): URL {
  for (const rel of [`./${entry}.js`, `../${entry}.js`]) {
    const u = new URL(rel, import.meta.url);
    if (u.protocol === 'file:' && existsSync(fileURLToPath(u))) return u;
  }
  return BOOT_URL;
}

/** What a job listens to while it holds a worker. */
export interface JobListener {
  message(m: unknown): void;
  error(e: Error): void;
  exit(code: number): void;
}

/** A long-lived worker thread of the pool; `job` is set while a job holds it. */
export class PooledWorker {
  job: JobListener | null = null;
  dead = false;
  constructor(
    readonly entry: WorkerEntry,
    readonly worker: Worker,
  ) {}
  /** Hand the worker a job (a port in the message moves with it). */
  post(m: PoolJobMessage, transfer: TransferListItem[] = []): void {
    this.worker.postMessage(m, transfer);
  }
}

/**
 * Warm lab workers, reused across runs: starting a worker from sources costs ~300 ms (tsx
 * registers, then compiles and loads the simulator and trace modules), more than a small run
 * itself. Each worker takes one job at a time by message and is handed back when the job is
 * done. A worker that crashed, exited or was terminated is never handed out again; a new one is
 * started on demand. Idle workers are unref'd, so they never keep a process alive, and at most
 * `maxIdle` of each kind are kept.
 */
export class WorkerPool {
  private readonly idle: Record<WorkerEntry, PooledWorker[]> = { sim_worker: [], writer_worker: [], reader_worker: [] };
  private readonly all = new Set<PooledWorker>();
  private closed = false;

  constructor(readonly maxIdle = Math.max(2, os.availableParallelism())) {}

  /** Workers alive (idle or busy). */
  get size(): number {
    return this.all.size;
  }

  /** Idle workers of one kind. */
  idleCount(entry: WorkerEntry): number {
    return this.idle[entry].length;
  }

  private spawn(entry: WorkerEntry): PooledWorker {
    // A reader works on files and SQL from elsewhere: its heap is bounded, so a runaway answer ends that worker, not the process.
    const w = new Worker(workerUrl(entry), { workerData: { entry }, ...(entry === 'reader_worker' ? { resourceLimits: { maxOldGenerationSizeMb: READER_HEAP_MB } } : {}) });
    const pw = new PooledWorker(entry, w);
    this.all.add(pw);
    w.on('message', (m: unknown) => pw.job?.message(m));
    w.on('error', (e: Error) => {
      pw.dead = true;
      pw.job?.error(e);
    });
    w.on('exit', (code: number) => {
      pw.dead = true;
      this.all.delete(pw);
      const list = this.idle[entry];
      const i = list.indexOf(pw);
      if (i >= 0) list.splice(i, 1);
      const job = pw.job;
      pw.job = null;
      job?.exit(code);
    });
    return pw;
  }

  /** A worker of `entry` for one job: a warm idle one, or a new one. */
  acquire(entry: WorkerEntry, job: JobListener): PooledWorker {
    if (this.closed) throw new Error('the worker pool is closed');
    let pw: PooledWorker | undefined;
    while ((pw = this.idle[entry].pop()) && pw.dead);
    if (!pw) pw = this.spawn(entry);
    pw.job = job;
    pw.worker.ref();
    return pw;
  }

  /** The job is done with a healthy worker: keep it warm (unref'd), or end it if enough are idle. */
  release(pw: PooledWorker): void {
    pw.job = null;
    if (pw.dead) return;
    if (this.closed || this.idle[pw.entry].length >= this.maxIdle) {
      void pw.worker.terminate();
      return;
    }
    pw.worker.unref();
    this.idle[pw.entry].push(pw);
  }

  /** End a worker (crashed, cancelled past its grace, or in an unknown state): it is never reused. */
  async discard(pw: PooledWorker): Promise<void> {
    pw.dead = true;
    await pw.worker.terminate();
  }

  /** Start workers ahead of need so that up to `n` of each kind are idle (and unref'd). */
  prewarm(n: number, entries: WorkerEntry[] = ['sim_worker', 'writer_worker']): void {
    if (this.closed) return;
    for (const e of entries) {
      const want = Math.min(n, this.maxIdle) - this.idle[e].length;
      for (let i = 0; i < want; i++) {
        const pw = this.spawn(e);
        pw.worker.unref();
        this.idle[e].push(pw);
      }
    }
  }

  /** End every worker, idle or busy (busy jobs then fail as killed). */
  async close(): Promise<void> {
    this.closed = true;
    const ws = [...this.all];
    this.idle.sim_worker = [];
    this.idle.writer_worker = [];
    this.idle.reader_worker = [];
    await Promise.all(ws.map((pw) => this.discard(pw)));
  }
}

let shared: WorkerPool | null = null;

/** The process's pool (created on first use). */
export function sharedPool(): WorkerPool {
  shared ??= new WorkerPool();
  return shared;
}

/** End the process's pool (the next run starts a new one). */
export async function closeSharedPool(): Promise<void> {
  const p = shared;
  shared = null;
  await p?.close();
}
