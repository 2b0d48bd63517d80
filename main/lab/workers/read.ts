import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { UserError } from '../errors';
import { sharedPool, workerUrl, type WorkerPool } from './pool';
import type { ReaderJob, ReaderMessage } from './protocol';

/** How long a reader job may take by default (ms); past it the worker is terminated. */
export const READER_DEADLINE_MS = 60_000;

export interface ReaderOptions {
  /** Terminate the job after this many ms (default READER_DEADLINE_MS). */
  deadlineMs?: number;
  /** The sentence when the deadline passes (default: a generic one naming the job). */
  late?: (seconds: number) => string;
  /** The columns of a query, before its first rows. */
  onColumns?: (columns: string[]) => void;
  /** Rows of a query, as they come. */
  onRows?: (rows: unknown[][]) => void;
  pool?: WorkerPool;
}

/** Thrown when a reader job ran past its deadline and its worker was terminated. */
export class DeadlineError extends UserError {}

/**
 * Run one job in a reader worker (reader_worker.ts) with a deadline: the coordinating thread
 * only waits (it never reads the file itself), and a job past its deadline, or one whose worker
 * runs out of its bounded heap, ends that worker and answers with one sentence.
 */
export function readerJob<T>(job: ReaderJob, opts: ReaderOptions = {}): Promise<T> {
  if (job.op === 'query' && !opts.pool && useProcess()) return readerProcessJob<T>(job, opts);
  const pool = opts.pool ?? sharedPool();
  const ms = opts.deadlineMs ?? READER_DEADLINE_MS;
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let timer: NodeJS.Timeout | null = null;
    const finish = (fn: () => void, healthy: boolean) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      if (healthy) pool.release(pw);
      else void pool.discard(pw);
      fn();
    };
    const what = jobName(job);
    const pw = pool.acquire('reader_worker', {
      message: (m) => {
        const rm = m as ReaderMessage;
        if (rm.type === 'rows') opts.onRows?.(rm.rows);
        else if (rm.type === 'columns') opts.onColumns?.(rm.columns);
        else if (rm.type === 'done') finish(() => resolve(rm.value as T), true);
        else finish(() => reject(Object.assign(rm.user ? new UserError(rm.message) : new Error(rm.message), { code: rm.code })), true);
      },
      error: (e) => {
        const oom = (e as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY';
        finish(() => reject(oom ? new UserError(`${what} needed more memory than a reader may use and was stopped; ${job.op === 'query' ? 'ask for fewer rows (LIMIT) or smaller values' : 'the file holds values far larger than a trace has'}.`) : new Error(`the reader worker crashed: ${e.message}`)), false);
      },
      exit: (code) => finish(() => reject(new Error(`the reader worker exited with code ${code} before ${what} was done`)), false),
    });
    timer = setTimeout(() => {
      const s = Math.round(ms / 100) / 10;
      finish(() => reject(new DeadlineError(opts.late?.(s) ?? `${capital(what)} took longer than ${s} s and was stopped.`)), false);
    }, ms);
    pw.post({ type: 'job', job });
  });
}

const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

function jobName(job: ReaderJob): string {
  switch (job.op) {
    case 'query':
      return `the query on '${job.file}'`;
    case 'import':
      return `the import of '${job.src}'`;
    case 'close-abandoned':
      return `closing the interrupted trace '${job.file}'`;
    case 'export':
      return `the export of '${job.file}'`;
  }
}

/**
 * User SQL runs in a child process, not a worker thread: SQLite's progress handler is compiled out
 * of this better-sqlite3 build, and a worker thread stuck in sqlite3_step cannot be stopped —
 * `terminate()` only interrupts JavaScript, and Node joins every worker thread at exit, so the CLI
 * would print the deadline's sentence and then never exit. A process can be killed (SIGKILL).
 * Electron is the exception: its fuses turn RunAsNode off, so there is no node to fork, and a
 * stuck query there keeps its worker thread (the app stays responsive; the thread is abandoned).
 */
function useProcess(): boolean {
  return !process.versions.electron;
}

/** Heap limit of the user-SQL reader process (MiB), as the reader worker's resourceLimits. */
const READER_PROCESS_HEAP_MB = 1024;

function readerProcessJob<T>(job: ReaderJob, opts: ReaderOptions): Promise<T> {
  const ms = opts.deadlineMs ?? READER_DEADLINE_MS;
  const what = jobName(job);
  return new Promise<T>((resolve, reject) => {
    const child = fork(fileURLToPath(workerUrl('reader_worker')), [], {
      env: { ...process.env, SVA_LAB_WORKER_ENTRY: 'reader_worker' },
      execArgv: [`--max-old-space-size=${READER_PROCESS_HEAP_MB}`],
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      if (stderr.length < 4096) stderr += d.toString();
    });
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      fn();
    };
    const timer = setTimeout(() => {
      const s = Math.round(ms / 100) / 10;
      finish(() => reject(new DeadlineError(opts.late?.(s) ?? `${capital(what)} took longer than ${s} s and was stopped.`)));
    }, ms);
    child.on('message', (m) => {
      const rm = m as ReaderMessage;
      if (rm.type === 'rows') opts.onRows?.(rm.rows);
      else if (rm.type === 'columns') opts.onColumns?.(rm.columns);
      else if (rm.type === 'done') finish(() => resolve(rm.value as T));
      else finish(() => reject(Object.assign(rm.user ? new UserError(rm.message) : new Error(rm.message), { code: rm.code })));
    });
    child.on('error', (e) => finish(() => reject(new Error(`the reader process could not run ${what}: ${e.message}`))));
    child.on('exit', (code, signal) => {
      // V8 out of heap aborts the process (SIGABRT, or exit 134 where the shell reports it).
      const oom = signal === 'SIGABRT' || code === 134 || /heap out of memory/i.test(stderr);
      finish(() =>
        reject(
          oom
            ? new UserError(`${what} needed more memory than a reader may use and was stopped; ask for fewer rows (LIMIT) or smaller values.`)
            : new Error(`the reader process exited (${signal ?? `code ${code}`}) before ${what} was done${stderr ? `: ${stderr.trim().split('\n')[0]}` : ''}`),
        ),
      );
    });
    child.send({ type: 'job', job });
  });
}
