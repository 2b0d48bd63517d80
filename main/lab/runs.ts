import fs from 'node:fs';
import path from 'node:path';
import type { RunId } from '../contract';
import { runParsed, type Summary } from '../sim/run';
import { resolveRun, type RawRunRequest, type ResolvedRun } from './args';
import { reserve, reserveIn, type Archive } from './archive';
import { runFileName } from './names';
import type { Bus } from './bus';
import { asUser, BusyError, UserError, userError } from './errors';
import { withTrace } from './readers';
import { summaryOf } from './summary';
import { APP_VERSION } from './version';
import type { Progress } from './workers/protocol';
import { readerJob } from './workers/read';
import { startWorker, WorkerDiedError, type WorkerHandle } from './workers/start';

export type { Progress } from './workers/protocol';

/** A run to record: the request, and optionally the trace file to write instead of a new one in the archive. */
export interface RecordRequest extends RawRunRequest {
  out?: string;
}

/** A run's summary plus the path of its trace. */
export type RunResult = Summary & { trace: string };

/** Progress callback and cancellation for long operations. */
export interface OpOptions {
  onProgress?: (p: Progress) => void;
  signal?: AbortSignal;
}

/** Test and benchmark knobs; not part of the LabApi contract. */
export interface RunInternals {
  checkpointEvery?: number;
  crashAfterEvents?: number;
  progressEvery?: number;
  /** Called with the worker as soon as it starts. */
  onWorker?: (h: WorkerHandle) => void;
}

/** Runs a lab records at once when asked through LabApi (each takes two worker threads). */
export const MAX_ACTIVE_RUNS = 8;

/** After a cancel, how long a run may take to close its trace before its workers are killed (ms). */
const CANCEL_GRACE_MS = 10_000;

/** A run about to start: what it runs, the file reserved for it, and its id. */
interface Prepared {
  run: ResolvedRun;
  file: string;
  id: RunId;
  created: Date;
}

/**
 * Runs: each recorded by a sim worker and a writer worker (workers/), into a file reserved in the
 * archive (or the one asked for). A run started through LabApi reports as LabEvents; one recorded
 * by the command line or a sweep reports to its caller. The request is resolved once (args.ts)
 * before the file is named; the workers get the typed values.
 */
export class Runs {
  private readonly recording = new Set<RunId>();
  private readonly cancels = new Map<RunId, AbortController>();

  constructor(
    private readonly archive: Archive,
    private readonly bus: Bus,
    /** Told when a run's trace is closed (its cached reader, if any, is stale). */
    private readonly closed: (id: RunId) => void,
  ) {}

  isRecording(id: RunId): boolean {
    return this.recording.has(id);
  }

  /** Record a run and wait for its end; the summary is the worker's. */
  async record(req: RecordRequest, opts: OpOptions = {}, internals: RunInternals = {}): Promise<RunResult> {
    return this.launch(this.prepare(req), opts, internals);
  }

  /** Runs recording now (started here, by the command line or by a sweep). */
  get active(): number {
    return this.recording.size;
  }

  /** Start recording a run into the archive; progress and the end arrive as LabEvents. */
  start(req: RawRunRequest): RunId {
    if (this.recording.size >= MAX_ACTIVE_RUNS) throw new BusyError(`${this.recording.size} runs are recording already, the most this lab runs at once; start this run when one has finished.`);
    const p = this.prepare(req);
    const id = p.id;
    const ac = new AbortController();
    this.cancels.set(id, ac);
    let last = 0;
    const onProgress = (x: Progress) => {
      last = x.events;
      this.bus.emit({ type: 'run-progress', runId: id, events: x.events, tNs: x.tNs, eventsPerSec: x.eventsPerSec });
    };
    this.launch(p, { signal: ac.signal, onProgress }).then(
      (s) => {
        this.cancels.delete(id);
        this.bus.emit({ type: 'run-progress', runId: id, events: Math.max(last, s.events), tNs: s.endTimeNs, eventsPerSec: 0 });
        this.bus.emit({ type: 'run-finished', runId: id, status: s.status, error: s.error });
        this.bus.emit({ type: 'archive-changed' });
      },
      (e: unknown) => {
        this.cancels.delete(id);
        this.bus.emit({ type: 'run-finished', runId: id, status: 'failed', error: e instanceof Error ? e.message : String(e) });
        this.bus.emit({ type: 'archive-changed' });
      },
    );
    this.bus.emit({ type: 'archive-changed' });
    return id;
  }

  /** Ask a run started with `start` to stop; its trace keeps what was recorded and is marked cancelled. */
  cancel(id: RunId): void {
    const ac = this.cancels.get(id);
    if (!ac) throw new UserError(`Run '${id}' is not running; only a running run can be cancelled.`);
    ac.abort();
  }

  /** Run a scenario in this thread without recording it. */
  simulate(req: RawRunRequest): Summary {
    const run = resolveRun(req);
    return asUser(() => runParsed(run.scenario, run.params, run.seed));
  }

  /** Resolve the request and reserve its trace file (created empty and exclusively, so names never collide). */
  private prepare(req: RecordRequest): Prepared {
    const run = resolveRun(req);
    const created = new Date();
    if (req.out === undefined) {
      const file = reserveIn(this.archive.home, runFileName(created, run.scenario, run.design, run.seed));
      return { run, file, id: path.basename(file), created };
    }
    const file = path.resolve(req.out);
    if (!fs.existsSync(path.dirname(file))) throw new UserError(`The folder of the output file '${req.out}' does not exist.`);
    if (!reserve(file)) throw new UserError(`The output file '${req.out}' already exists; choose a new path or delete it first.`);
    const id = path.dirname(file) === path.resolve(this.archive.home) ? path.basename(file) : this.archive.runOf(file);
    return { run, file, id, created };
  }

  private async launch(p: Prepared, opts: OpOptions, internals: RunInternals = {}): Promise<RunResult> {
    const { run, file, id } = p;
    this.recording.add(id);
    const h = startWorker(
      {
        mode: 'record',
        scenario: run.scenario,
        params: run.params,
        seed: run.seed,
        file,
        appVersion: APP_VERSION,
        created: p.created.toISOString(),
        progressEvery: internals.progressEvery ?? 32_768,
        checkpointEvery: internals.checkpointEvery,
        crashAfterEvents: internals.crashAfterEvents,
      },
      opts.onProgress,
    );
    internals.onWorker?.(h);
    const onAbort = () => {
      h.cancel();
      setTimeout(() => void h.terminate(), CANCEL_GRACE_MS).unref();
    };
    if (opts.signal?.aborted) onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const { summary } = await h.done;
      return { ...summary, trace: file };
    } catch (e) {
      if (e instanceof WorkerDiedError && fs.existsSync(file) && fs.statSync(file).size > 0) {
        // Keep what was written; the trace says what happened. Folding every event again for the
        // metrics takes seconds for a long run: a reader worker does it, not this thread.
        await readerJob({ op: 'close-abandoned', file, as: 'failed', error: e.message }, { deadlineMs: 600_000 });
        return { ...withTrace(file, (r) => summaryOf(r, { live: false, recompute: false })), trace: file };
      }
      if (fs.existsSync(file) && fs.statSync(file).size === 0) fs.rmSync(file);
      throw userError(e);
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
      this.recording.delete(id);
      this.closed(id);
    }
  }
}
