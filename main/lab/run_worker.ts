import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker } from 'node:worker_threads';
import { MODEL_VERSION, type Summary } from '../sim/run';
import { UserError } from './errors';
import type { Progress, VerifyOutcome, WorkerJob, WorkerMessage, WriterJob, WriterMessage } from './worker_protocol';

/** How the workers are started: the tsx bootstrap when running from sources. */
const WORKER_URL = new URL('./worker-boot.mjs', import.meta.url);

/**
 * In a bundled build (electron-vite: out/main/sim_worker.js next to index.js, this module maybe in
 * out/main/chunks/) each worker is its own compiled entry; from sources it goes through the tsx
 * bootstrap, which picks the module named by workerData.entry.
 */
function workerUrl(entry: 'sim_worker' | 'writer_worker'): URL {
  for (const rel of [`./${entry}.js`, `../${entry}.js`]) {
    const u = new URL(rel, import.meta.url);
    if (u.protocol === 'file:' && existsSync(fileURLToPath(u))) return u;
  }
  return WORKER_URL;
}

/** A running job: its outcome, and ways to stop it. */
export interface WorkerHandle {
  /** Resolves with the run's summary once the trace is closed; rejects with WorkerDiedError if a worker ended without one. */
  done: Promise<{ summary: Summary; verify?: VerifyOutcome }>;
  /** Ask the run to stop at its next slice (the trace is then finished as cancelled). */
  cancel(): void;
  /** Kill the workers outright (what a crash looks like to the coordinator). */
  terminate(): Promise<void>;
}

/** A worker died (crashed, exited, was killed) or failed before the job was done. */
export class WorkerDiedError extends Error {}

type JobInput = Omit<WorkerJob, 'stop' | 'port' | 'pipe'>;

/**
 * Start a job. `verify` runs in one sim worker. `record` runs two: the sim worker simulates and
 * streams event batches over a MessagePort to a writer worker that owns the trace file, so
 * simulating and writing overlap; shared memory carries the stop flag and the backpressure count.
 */
export function startWorker(job: JobInput, onProgress?: (p: Progress) => void): WorkerHandle {
  const stop = new SharedArrayBuffer(4);
  const flag = new Int32Array(stop);
  const workers: Worker[] = [];
  let simResult: { summary: Summary; verify?: VerifyOutcome } | null = null;
  let writerDone = job.mode !== 'record';

  const done = new Promise<{ summary: Summary; verify?: VerifyOutcome }>((resolve, reject) => {
    let settled = false;
    const failWith = (e: Error) => {
      if (settled) return;
      settled = true;
      // One side failed: the other has nothing left to do.
      Promise.all(workers.map((w) => w.terminate())).finally(() => reject(e));
    };
    const maybeDone = () => {
      if (!settled && simResult && writerDone) {
        settled = true;
        resolve(simResult);
      }
    };

    let port: WorkerJob['port'];
    let pipe: SharedArrayBuffer | undefined;
    if (job.mode === 'record') {
      const ch = new MessageChannel();
      port = ch.port1;
      pipe = new SharedArrayBuffer(12);
      const wjob: WriterJob = {
        file: job.file,
        header: {
          appVersion: job.appVersion,
          scenario: job.scenario,
          params: job.params,
          seed: job.seed,
          model: job.params.mmExit ? 'mm_exit' : 'quiet',
          modelVersion: MODEL_VERSION,
          created: job.created,
        },
        checkpointEvery: job.checkpointEvery,
        port: ch.port2,
        pipe,
      };
      const writer = new Worker(workerUrl('writer_worker'), { workerData: { entry: 'writer_worker', ...wjob }, transferList: [ch.port2] });
      workers.push(writer);
      writer.on('message', (m: WriterMessage) => {
        if (m.type === 'finished') {
          writerDone = true;
          maybeDone();
        } else if (m.type === 'error') {
          failWith(m.user ? new UserError(m.message) : new WorkerDiedError(`the trace writer failed: ${m.message}`));
        }
      });
      writer.on('error', (e) => failWith(new WorkerDiedError(`the trace writer crashed: ${e.message}`)));
      writer.on('exit', (code) => {
        if (!writerDone) failWith(new WorkerDiedError(`the trace writer exited with code ${code} before the run ended`));
      });
    }

    const simJob: WorkerJob = { ...job, stop, port, pipe };
    const sim = new Worker(workerUrl('sim_worker'), { workerData: { entry: 'sim_worker', ...simJob }, transferList: port ? [port] : [] });
    workers.push(sim);
    sim.on('message', (m: WorkerMessage) => {
      if (m.type === 'progress') onProgress?.({ events: m.events, tNs: m.tNs, eventsPerSec: m.eventsPerSec });
      else if (m.type === 'done') {
        simResult = { summary: m.summary, verify: m.verify };
        maybeDone();
      } else failWith(m.user ? new UserError(m.message) : new WorkerDiedError(`the sim worker failed: ${m.message}`));
    });
    sim.on('error', (e) => failWith(new WorkerDiedError(`the sim worker crashed: ${e.message}`)));
    sim.on('exit', (code) => {
      if (!simResult) failWith(new WorkerDiedError(`the sim worker exited with code ${code} before the run ended`));
    });
  });
  return {
    done,
    cancel: () => {
      Atomics.store(flag, 0, 1);
    },
    terminate: async () => {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
