/**
 * The sim worker: runs scenarios off the coordinating thread, one job at a time, and either
 * streams a run's events to a writer worker (record) or re-runs it against a recorded trace
 * (verify). It lives in the worker pool: it takes a job by message, answers with the messages in
 * protocol.ts, and then waits for the next job.
 */
import { parentPort, type MessagePort } from 'node:worker_threads';
import type { TraceSink, TrackType } from '../../sim/events';
import { ParamError } from '../../sim/params';
import { runScenario, UnknownScenarioError, type Summary } from '../../sim/run';
import { rowsDiffer, type Divergence } from '../../trace/diverge';
import { TraceFileError } from '../../trace/errors';
import { TraceReader } from '../../trace/reader';
import { eventRow, type EventRow } from '../../trace/rows';
import { TraceRecorder, type TraceBatch, type TraceEnd } from '../../trace/writer';
import { PIPE_FAILED, PIPE_MAX_AHEAD, PIPE_WRITTEN, type PipeMessage, type PoolJobMessage, type VerifyOutcome, type WorkerJob, type WorkerMessage } from './protocol';

const post = (m: WorkerMessage) => parentPort?.postMessage(m);

function progressReporter(): (events: number, tNs: number) => void {
  const t0 = performance.now();
  return (events, tNs) => {
    const s = (performance.now() - t0) / 1000;
    post({ type: 'progress', events, tNs, eventsPerSec: s > 0 ? Math.round(events / s) : 0 });
  };
}

/** Compares the re-run's events with the recorded ones as they come; remembers the first difference. */
class CompareSink implements TraceSink {
  divergence: Divergence | null = null;
  compared = 0;
  private readonly names = new Map<number, string>();
  private readonly it: Generator<EventRow>;
  constructor(
    private readonly rec: TraceReader,
    private readonly limit: number,
  ) {
    this.it = rec.rows();
  }
  private name(id: number): string {
    return this.names.get(id) ?? `#${id}`;
  }
  actor(id: number, name: string, _track: TrackType): void {
    this.names.set(id, name);
  }
  event(seq: number, t: number, kind: number, actor: number, cause: number, a: number, b: number, args: string | null): void {
    if (this.divergence || this.compared >= this.limit) return;
    const r = this.it.next();
    const mine: EventRow = [seq, t, kind, actor, cause, a, b, args];
    if (r.done) {
      this.divergence = { seq, tNs: t, a: null, b: eventRow(mine, (id) => this.name(id)) };
      return;
    }
    const p = r.value;
    this.compared++;
    if (rowsDiffer(p, this.rec.actorName(p[3]), mine, this.name(actor))) {
      this.divergence = { seq, tNs: Math.min(t, p[1]), a: this.rec.row(p), b: eventRow(mine, (id) => this.name(id)) };
    }
  }
  /** After the run: a recorded event past the re-run's end is a divergence too. */
  finish(): void {
    if (this.divergence) return;
    const r = this.it.next();
    if (!r.done) this.divergence = { seq: r.value[0], tNs: r.value[1], a: this.rec.row(r.value), b: null };
  }
  /** Release the recorded-events cursor (the connection cannot close while it is open). */
  close(): void {
    this.it.return(undefined);
  }
}

/**
 * Hands the recorder's batches to the writer worker, waiting while the writer is PIPE_MAX_AHEAD
 * batches behind (so memory stays bounded whatever the two speeds) and failing the run if the
 * writer has failed.
 */
class Pipe {
  private sent = 0;
  private readonly pipe: Int32Array;
  constructor(
    private readonly port: MessagePort,
    pipe: SharedArrayBuffer,
  ) {
    this.pipe = new Int32Array(pipe);
  }
  send(batch: TraceBatch): void {
    this.port.postMessage({ type: 'batch', batch } satisfies PipeMessage, [batch.num.buffer as ArrayBuffer, batch.spans.num.buffer as ArrayBuffer]);
    this.sent++;
    for (;;) {
      if (Atomics.load(this.pipe, PIPE_FAILED) === 1) throw new Error('the trace writer failed');
      const written = Atomics.load(this.pipe, PIPE_WRITTEN);
      if (this.sent - written <= PIPE_MAX_AHEAD) break;
      const t0 = performance.now();
      Atomics.wait(this.pipe, PIPE_WRITTEN, written, 200);
      this.waitMs += performance.now() - t0;
    }
  }
  /** Time spent waiting for the writer (ms): the sim was ahead. */
  waitMs = 0;
  /** Wait until the writer has written every batch sent. */
  drain(): void {
    for (;;) {
      const written = Atomics.load(this.pipe, PIPE_WRITTEN);
      if (written >= this.sent || Atomics.load(this.pipe, PIPE_FAILED) === 1) return;
      Atomics.wait(this.pipe, PIPE_WRITTEN, written, 200);
    }
  }
  end(end: TraceEnd): void {
    this.port.postMessage({ type: 'end', end } satisfies PipeMessage);
    this.port.close();
  }
}

function record(job: WorkerJob): Summary {
  const stopFlag = new Int32Array(job.stop);
  const pipe = new Pipe(job.port as MessagePort, job.pipe as SharedArrayBuffer);
  const rec = new TraceRecorder((b) => pipe.send(b), { checkpointEvery: job.checkpointEvery });
  const sinks: TraceSink[] = [rec];
  if (job.crashAfterEvents !== undefined) {
    const n = job.crashAfterEvents;
    sinks.push({
      actor() {},
      event: (seq) => {
        // Let the writer catch up first, so the crash leaves committed batches behind.
        if (seq >= n) {
          rec.flush();
          pipe.drain();
          process.exit(70);
        }
      },
    });
  }
  // The request was validated at the lab's door (args.ts checkRun); its parameters are parsed here, once.
  const summary = runScenario(job.scenario, job.params, job.seed, {
    sinks,
    shouldStop: () => Atomics.load(stopFlag, 0) === 1,
    onProgress: progressReporter(),
    progressEvery: job.progressEvery,
  });
  rec.finish(summary.endTimeNs);
  if (process.env.SVA_LAB_PIPE_STATS) process.stderr.write(`sim: waited ${Math.round(pipe.waitMs)} ms for the writer\n`);
  pipe.end({
    // The sim ends complete, cancelled or failed; 'interrupted' is only ever read back from a trace.
    status: summary.status === 'interrupted' ? 'failed' : summary.status,
    error: summary.error,
    endReason: summary.endReason,
    events: summary.events,
    endTimeNs: summary.endTimeNs,
    digest: summary.digest,
    metrics: summary.metrics,
  });
  return summary;
}

function verify(job: WorkerJob): VerifyOutcome {
  const stopFlag = new Int32Array(job.stop);
  const rec = new TraceReader(job.file);
  try {
    const m = rec.meta();
    const recorded = rec.countRows();
    const cmp = new CompareSink(rec, m.status === 'complete' ? Number.MAX_SAFE_INTEGER : recorded);
    // A cancelled or failed run recorded a prefix: compare that much, then stop.
    const prefixOnly = m.status !== 'complete';
    // A recorded run's params come from its file: parsed here, once.
    const summary = runScenario(m.scenario, m.params, m.seed, {
      sinks: [cmp],
      shouldStop: () => Atomics.load(stopFlag, 0) === 1 || cmp.divergence !== null || (prefixOnly && cmp.compared >= recorded),
      onProgress: progressReporter(),
      progressEvery: job.progressEvery,
    });
    if (!prefixOnly || cmp.compared < recorded) cmp.finish();
    cmp.close();
    return { summary, recordedEvents: recorded, divergence: cmp.divergence };
  } finally {
    rec.close();
  }
}

function runJob(job: WorkerJob): void {
  try {
    if (job.mode === 'record') {
      const summary = record(job);
      post({ type: 'done', summary });
    } else {
      const v = verify(job);
      post({ type: 'done', summary: v.summary, verify: v });
    }
  } catch (e) {
    const user = e instanceof ParamError || e instanceof UnknownScenarioError || e instanceof TraceFileError;
    post({ type: 'error', message: e instanceof Error ? e.message : String(e), user });
  }
}

// Jobs run synchronously, so a second job's message waits until the first is done.
parentPort?.on('message', (m: PoolJobMessage<WorkerJob>) => {
  if (m.type === 'job') runJob(m.job);
});
