import type { MessagePort } from 'node:worker_threads';
import type { Summary } from '../../sim/run';
import type { Divergence } from '../../trace/diverge';
import type { TraceBatch, TraceEnd, TraceHeader } from '../../trace/writer';

/** What the coordinator asks the sim worker to do (sent in a PoolJobMessage; the workers are pooled). */
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
  /** record: where to send event batches (the writer worker's port). */
  port?: MessagePort;
  /** record: Int32Array view [sent, written, writerFailed]: backpressure between the two workers. */
  pipe?: SharedArrayBuffer;
}

/** What the coordinator asks the writer worker to do. */
export interface WriterJob {
  file: string;
  header: TraceHeader;
  checkpointEvery?: number;
  port: MessagePort;
  pipe: SharedArrayBuffer;
}

/** Slots of the pipe's Int32Array. */
export const PIPE_SENT = 0;
export const PIPE_WRITTEN = 1;
export const PIPE_FAILED = 2;
/** Batches the sim may run ahead of the writer: bounds memory whatever their speeds. */
export const PIPE_MAX_AHEAD = 4;

/** Sim worker to writer worker: batches of events with what was derived from them, then how the run ended. */
export type PipeMessage =
  | { type: 'batch'; batch: TraceBatch }
  | { type: 'end'; end: TraceEnd };

/** Coordinator to a pooled worker: one job; the worker answers with its messages below and then waits for the next. */
export interface PoolJobMessage<J extends WorkerJob | WriterJob | ReaderJob = WorkerJob | WriterJob | ReaderJob> {
  type: 'job';
  job: J;
}

/** Writer worker to coordinator. */
export type WriterMessage = { type: 'opened' } | { type: 'finished'; events: number } | { type: 'error'; message: string; user: boolean };

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

/** What the coordinator asks the reader worker to do (reader_worker.ts). */
export type ReaderJob =
  /** One user SQL statement: rows stream back in `rows` messages of `chunk`, at most `limit` in all. */
  | { op: 'query'; file: string; sql: string; limit: number; chunk: number }
  /** Check a trace from elsewhere and copy it to `dest` (trace/copy.ts). */
  | { op: 'import'; src: string; dest: string }
  /** Close a trace whose writer is gone (trace/recover.ts). */
  | { op: 'close-abandoned'; file: string; as: 'failed' | 'interrupted'; error: string }
  /** Export a trace to `out` (already a temporary name: exports.ts renames it into place). */
  | { op: 'export'; file: string; format: 'chrome-json' | 'csv'; out: string };

/** Reader worker to coordinator. */
export type ReaderMessage =
  | { type: 'columns'; columns: string[] }
  | { type: 'rows'; rows: unknown[][] }
  | { type: 'done'; value: unknown }
  | { type: 'error'; message: string; user: boolean; code?: string };
