import type { Summary } from '../sim/run';
import type { Divergence } from '../trace/diverge';

/** What the coordinator asks the sim worker to do (sent as workerData). */
export interface WorkerJob {
  /** record: run and write `file`; verify: re-run and compare with the events recorded in `file`. */
  mode: 'record' | 'verify';
  scenario: string;
  params: Record<string, unknown>;
  seed: number;
  file: string;
  appVersion: string;
  created: string;
  /** Int32Array view: [0] set to 1 asks the run to stop (the worker is busy, messages would wait). */
  stop: SharedArrayBuffer;
  progressEvery: number;
  checkpointEvery?: number;
  /** Tests only: the worker exits abruptly once this many events are recorded. */
  crashAfterEvents?: number;
}

/** Progress of a run: events so far, virtual time reached (ns), events per wall-clock second. */
export interface Progress {
  events: number;
  tNs: number;
  eventsPerSec: number;
}

/** Result of a verify job. */
export interface VerifyOutcome {
  summary: Summary;
  recordedEvents: number;
  divergence: Divergence | null;
}

export type WorkerMessage =
  | ({ type: 'progress' } & Progress)
  | { type: 'done'; summary: Summary; verify?: VerifyOutcome }
  | { type: 'error'; message: string; user: boolean };
