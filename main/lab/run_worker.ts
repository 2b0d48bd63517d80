import { Worker } from 'node:worker_threads';
import type { Summary } from '../sim/run';
import { UserError } from './errors';
import type { Progress, VerifyOutcome, WorkerJob, WorkerMessage } from './worker_protocol';

/** How the worker is started: the tsx bootstrap when running from sources. */
const WORKER_URL = new URL('./worker-boot.mjs', import.meta.url);

/** A running worker job: its outcome, and ways to stop it. */
export interface WorkerHandle {
  /** Resolves with the run's summary; rejects with a WorkerDiedError if the worker ended without one. */
  done: Promise<{ summary: Summary; verify?: VerifyOutcome }>;
  /** Ask the run to stop at its next slice (the worker then finishes the trace as cancelled). */
  cancel(): void;
  /** Kill the worker outright (what a crash looks like to the coordinator). */
  terminate(): Promise<void>;
}

/** The worker died (crashed, exited, was killed) before reporting a result. */
export class WorkerDiedError extends Error {}

/** Start a sim worker for `job` minus its stop flag; `onProgress` gets the worker's progress messages. */
export function startWorker(job: Omit<WorkerJob, 'stop'>, onProgress?: (p: Progress) => void): WorkerHandle {
  const stop = new SharedArrayBuffer(4);
  const flag = new Int32Array(stop);
  const worker = new Worker(WORKER_URL, { workerData: { ...job, stop } satisfies WorkerJob });
  const done = new Promise<{ summary: Summary; verify?: VerifyOutcome }>((resolve, reject) => {
    let settled = false;
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'progress') onProgress?.({ events: m.events, tNs: m.tNs, eventsPerSec: m.eventsPerSec });
      else if (m.type === 'done') {
        settled = true;
        resolve({ summary: m.summary, verify: m.verify });
      } else {
        settled = true;
        reject(m.user ? new UserError(m.message) : new WorkerDiedError(`the sim worker failed: ${m.message}`));
      }
    });
    worker.on('error', (e) => {
      if (!settled) {
        settled = true;
        reject(new WorkerDiedError(`the sim worker crashed: ${e.message}`));
      }
    });
    worker.on('exit', (code) => {
      if (!settled) {
        settled = true;
        reject(new WorkerDiedError(`the sim worker exited with code ${code} before the run ended`));
      }
    });
  });
  return {
    done,
    cancel: () => {
      Atomics.store(flag, 0, 1);
    },
    terminate: async () => {
      await worker.terminate();
    },
  };
}
