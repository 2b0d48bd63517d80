import { MessageChannel } from 'node:worker_threads';
import { designOf } from '../../sim/design';
import { MODEL_VERSION, type Summary } from '../../sim/run';
import { UserError } from '../errors';
import { sharedPool, type PooledWorker, type WorkerPool } from './pool';
import type { Progress, VerifyOutcome, WorkerJob, WorkerMessage, WriterJob, WriterMessage } from './protocol';

/** A running job: its outcome, and ways to stop it. */
export interface WorkerHandle {
  /** Resolves with the run's summary once the trace is closed; rejects with WorkerDiedError if a worker ended without one. */
  done: Promise<{ summary: Summary; verify?: VerifyOutcome }>;
  /** Ask the run to stop at its next slice (the trace is then finished as cancelled). */
  cancel(): void;
  /** Kill the job's workers outright (what a crash looks like to the coordinator); the pool replaces them. */
  terminate(): Promise<void>;
}

/** A worker died (crashed, exited, was killed) or failed before the job was done. */
export class WorkerDiedError extends Error {}

type JobInput = Omit<WorkerJob, 'stop' | 'port' | 'pipe'>;

/**
 * Start a job on warm workers from `pool` (the process's shared pool by default). `verify` runs
 * in one sim worker. `record` runs in two: the sim worker simulates and streams event batches
 * over a MessagePort to a writer worker that owns the trace file, so simulating and writing
 * overlap; shared memory carries the stop flag and the backpressure count. When the job ends
 * well both workers go back to the pool; when anything fails, both are terminated (the pool
 * starts new ones on demand), so a worker in an unknown state is never reused.
 */
export function startWorker(job: JobInput, onProgress?: (p: Progress) => void, pool: WorkerPool = sharedPool()): WorkerHandle {
  const stop = new SharedArrayBuffer(4);
  const flag = new Int32Array(stop);
  const held: PooledWorker[] = [];
  let simResult: { summary: Summary; verify?: VerifyOutcome } | null = null;
  let writerDone = job.mode !== 'record';
  let settled = false;

  const done = new Promise<{ summary: Summary; verify?: VerifyOutcome }>((resolve, reject) => {
    const failWith = (e: Error) => {
      if (settled) return;
      settled = true;
      // One side failed: the other has nothing left to do, and neither is reused.
      Promise.all(held.map((pw) => pool.discard(pw))).finally(() => reject(e));
    };
    const maybeDone = () => {
      if (!settled && simResult && writerDone) {
        settled = true;
        for (const pw of held) pool.release(pw);
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
          model: designOf(job.params),
          modelVersion: MODEL_VERSION,
          created: job.created,
        },
        checkpointEvery: job.checkpointEvery,
        port: ch.port2,
        pipe,
      };
      const writer = pool.acquire('writer_worker', {
        message: (m) => {
          const wm = m as WriterMessage;
          if (wm.type === 'finished') {
            writerDone = true;
            maybeDone();
          } else if (wm.type === 'error') {
            failWith(wm.user ? new UserError(wm.message) : new WorkerDiedError(`the trace writer failed: ${wm.message}`));
          }
        },
        error: (e) => failWith(new WorkerDiedError(`the trace writer crashed: ${e.message}`)),
        exit: (code) => {
          if (!writerDone) failWith(new WorkerDiedError(`the trace writer exited with code ${code} before the run ended`));
        },
      });
      held.push(writer);
      writer.post({ type: 'job', job: wjob }, [ch.port2]);
    }

    const simJob: WorkerJob = { ...job, stop, port, pipe };
    const sim = pool.acquire('sim_worker', {
      message: (m) => {
        const sm = m as WorkerMessage;
        if (sm.type === 'progress') onProgress?.({ events: sm.events, tNs: sm.tNs, eventsPerSec: sm.eventsPerSec });
        else if (sm.type === 'done') {
          simResult = { summary: sm.summary, verify: sm.verify };
          maybeDone();
        } else failWith(sm.user ? new UserError(sm.message) : new WorkerDiedError(`the sim worker failed: ${sm.message}`));
      },
      error: (e) => failWith(new WorkerDiedError(`the sim worker crashed: ${e.message}`)),
      exit: (code) => {
        if (!simResult) failWith(new WorkerDiedError(`the sim worker exited with code ${code} before the run ended`));
      },
    });
    held.push(sim);
    sim.post({ type: 'job', job: simJob }, port ? [port] : []);
  });
  return {
    done,
    cancel: () => {
      Atomics.store(flag, 0, 1);
    },
    terminate: async () => {
      if (settled) return;
      await Promise.all(held.map((pw) => pool.discard(pw)));
    },
  };
}
