import fs from 'node:fs';
import path from 'node:path';
import type { Metrics } from '../sim/metrics';
import { ParamError } from '../sim/params';
import { resolveScenarioParams, runWarnings, UnknownScenarioError, type Summary } from '../sim/run';
import { findScenario } from '../sim/scenarios/index';
import { firstDivergence, type Divergence } from '../trace/diverge';
import { TraceFileError } from '../trace/errors';
import { EXPORT_FORMATS, exportChromeJson, exportCsv, type ExportFormat } from '../trace/export';
import { TraceReader, type StateAt, type WindowRange } from '../trace/reader';
import { markFailed } from '../trace/recover';
import { archiveDir, runFileName } from './archive';
import { UserError } from './errors';
import { startWorker, WorkerDiedError, type WorkerHandle } from './run_worker';
import { APP_VERSION } from './version';
import type { Progress } from './worker_protocol';

export type { Progress } from './worker_protocol';

/** What to run. `params` are raw values (strings from a form or `--set` are fine); `out` overrides the archive. */
export interface RunRequest {
  scenario: string;
  params?: Record<string, unknown>;
  seed?: number;
  out?: string;
}

/** A run's summary plus the path of its trace. */
export type RunResult = Summary & { trace: string };

/** Progress callback and cancellation for long operations. */
export interface OpOptions {
  onProgress?: (p: Progress) => void;
  signal?: AbortSignal;
}

/** The metrics `list` shows for a run. Times in ns from the trigger. */
export interface KeyMetrics {
  releaseLatencyNs: Metrics['releaseLatencyNs'];
  oomVictims: number;
  innocentVictims: number;
  memoryFreedNs: number | null;
  abortedTransactions: number;
  lockups: number;
  hungTaskReports: number;
}

/** One archived run as `list` shows it; `problem` is set (and the rest mostly empty) for a file that is not a readable trace. */
export interface ListEntry {
  file: string;
  scenario: string | null;
  design: 'mm_exit' | 'quiet' | null;
  seed: number | null;
  keyParams: Record<string, unknown>;
  status: string | null;
  error: string | null;
  events: number | null;
  endTimeNs: number | null;
  created: string | null;
  metrics: KeyMetrics | null;
  problem?: string;
}

export interface MetricDiff {
  a: unknown;
  b: unknown;
  /** b - a for numbers (null otherwise or when either is null). */
  delta: number | null;
}

export interface CompareResult {
  a: string;
  b: string;
  metrics: Record<string, MetricDiff>;
  firstDivergence: Divergence | null;
}

export interface VerifyResult {
  trace: string;
  /** True when the re-run reproduced the recorded events (digest equal for a complete run; the recorded prefix otherwise). */
  match: boolean;
  recordedStatus: string;
  recordedDigest: string | null;
  digest: string;
  recordedEvents: number;
  events: number;
  recordedModelVersion: number;
  modelVersion: number;
  firstDivergence: Divergence | null;
  note: string | null;
}

export interface ExportResult {
  trace: string;
  format: ExportFormat;
  out: string;
  bytes: number;
}

export interface QueryResult {
  columns: string[];
  rows: unknown[][];
  truncated: boolean;
}

/** Test and benchmark knobs; not part of the LabApi contract. */
export interface RunInternals {
  checkpointEvery?: number;
  crashAfterEvents?: number;
  progressEvery?: number;
  /** Called with the worker as soon as it starts. */
  onWorker?: (h: WorkerHandle) => void;
}

/** After Ctrl-C, how long a run may take to close its trace before its worker is killed (ms). */
const CANCEL_GRACE_MS = 10_000;

function userError(e: unknown): unknown {
  if (e instanceof TraceFileError || e instanceof ParamError || e instanceof UnknownScenarioError) return new UserError(e.message);
  return e;
}

/** Map user-causable errors to UserError, in sync and async code alike. */
async function asUser<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw userError(e);
  }
}

/** Create `file` if it does not exist (empty); false if it does. */
function reserve(file: string): boolean {
  try {
    fs.closeSync(fs.openSync(file, 'wx'));
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new UserError(`Cannot create the trace file '${file}': ${(e as Error).message}.`);
  }
}

const KEY_METRICS: (keyof KeyMetrics)[] = ['releaseLatencyNs', 'oomVictims', 'innocentVictims', 'memoryFreedNs', 'abortedTransactions', 'lockups', 'hungTaskReports'];

/**
 * The lab, transport-agnostic: the CLI calls it directly; IPC and HTTP adapters will expose the
 * same methods. Takes and returns plain JSON-able values; long operations take a progress
 * callback and an AbortSignal. User mistakes come back as UserError with one sentence.
 */
export class LabService {
  constructor(readonly home: string = archiveDir()) {}

  /** Run a scenario in a sim worker, recording into the archive or `req.out`. */
  async run(req: RunRequest, opts: OpOptions = {}, internals: RunInternals = {}): Promise<RunResult> {
    const params = await asUser(() => resolveScenarioParams(req.scenario, req.params ?? {}));
    const seed = req.seed ?? 1;
    if (!Number.isSafeInteger(seed) || seed < 0) throw new UserError(`The seed must be a non-negative integer; got '${seed}'.`);
    const created = new Date();
    const model = params.mmExit ? 'mm_exit' : 'quiet';
    // The name is reserved by creating the file exclusively, so two runs started at once never collide.
    let file: string;
    if (req.out !== undefined) {
      file = path.resolve(req.out);
      if (!fs.existsSync(path.dirname(file))) throw new UserError(`The folder of the output file '${req.out}' does not exist.`);
      if (!reserve(file)) throw new UserError(`The output file '${req.out}' already exists; choose a new path or delete it first.`);
    } else {
      fs.mkdirSync(this.home, { recursive: true });
      const base = runFileName(req.scenario, model, seed, created);
      file = path.join(this.home, base);
      for (let i = 2; !reserve(file); i++) file = path.join(this.home, base.replace(/\.sqlite$/, `-${i}.sqlite`));
    }
    const h = startWorker(
      {
        mode: 'record',
        scenario: req.scenario,
        params,
        seed,
        file,
        appVersion: APP_VERSION,
        created: created.toISOString(),
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
      if (e instanceof WorkerDiedError && fs.existsSync(file)) {
        // Keep what was written; the trace says what happened.
        markFailed(file, e.message);
        return { ...(await this.summary(file)), trace: file };
      }
      if (fs.existsSync(file) && fs.statSync(file).size === 0) fs.rmSync(file);
      throw userError(e);
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** The runs in the archive, newest first. Unreadable files are listed with a `problem`. */
  async list(): Promise<ListEntry[]> {
    if (!fs.existsSync(this.home)) return [];
    const files = fs.readdirSync(this.home).filter((f) => f.endsWith('.sqlite')).sort().reverse();
    return files.map((f) => {
      const file = path.join(this.home, f);
      try {
        return this.withReader(file, (r) => {
          const m = r.meta();
          const sc = findScenario(m.scenario);
          const keys = new Set((sc?.params ?? []).filter((p) => p.group !== 'cost').map((p) => p.key));
          const keyParams = Object.fromEntries(Object.entries(m.params).filter(([k]) => keys.has(k) || !sc));
          const metrics = m.metrics ? (Object.fromEntries(KEY_METRICS.map((k) => [k, m.metrics?.[k] ?? null])) as unknown as KeyMetrics) : null;
          return {
            file,
            scenario: m.scenario,
            design: m.model === 'quiet' ? 'quiet' : 'mm_exit',
            seed: m.seed,
            keyParams,
            status: m.status,
            error: m.error,
            events: m.events,
            endTimeNs: m.endTimeNs,
            created: m.created,
            metrics,
          } satisfies ListEntry;
        });
      } catch (e) {
        const problem = e instanceof TraceFileError || e instanceof UserError ? e.message : String(e);
        return { file, scenario: null, design: null, seed: null, keyParams: {}, status: null, error: null, events: null, endTimeNs: null, created: null, metrics: null, problem };
      }
    });
  }

  /** Validate a trace from elsewhere (header, tables, integrity, format version), then copy it into the archive. */
  async import(src: string): Promise<{ file: string; scenario: string; status: string; events: number }> {
    return asUser(() => {
      const info = this.withReader(src, (r) => {
        const ok = r.guard(() => r.db.pragma('quick_check', { simple: true }));
        if (ok !== 'ok') throw new TraceFileError(`'${src}' is corrupt (integrity check: ${String(ok)}).`);
        const m = r.meta();
        if (r.countRows() !== m.events && m.status !== 'running') throw new TraceFileError(`'${src}' is inconsistent: meta says ${m.events} events but it holds ${r.countRows()}.`);
        return { scenario: m.scenario, status: m.status, events: m.events };
      });
      fs.mkdirSync(this.home, { recursive: true });
      const base = path.basename(src).endsWith('.sqlite') ? path.basename(src) : `${path.basename(src)}.sqlite`;
      let file = path.join(this.home, base);
      if (path.resolve(src) === file) throw new UserError(`'${src}' is already in the archive.`);
      for (let i = 2; fs.existsSync(file); i++) file = path.join(this.home, base.replace(/\.sqlite$/, `-${i}.sqlite`));
      fs.copyFileSync(src, file, fs.constants.COPYFILE_EXCL);
      return { file, ...info };
    });
  }

  /** The run's summary, metrics recomputed from the recorded events. */
  async summary(file: string): Promise<RunResult> {
    return asUser(() =>
      this.withReader(file, (r) => {
        const m = r.meta();
        return {
          scenario: m.scenario,
          params: m.params as Summary['params'],
          seed: m.seed,
          model: m.model === 'quiet' ? 'quiet' : 'mm_exit',
          modelVersion: m.modelVersion,
          status: m.status === 'running' ? 'failed' : m.status,
          error: m.status === 'running' ? 'the run is still being recorded, or its recorder died without marking it' : m.error,
          endReason: m.endReason ?? m.status,
          // Recomputed from the recorded params (a pure function of them).
          warnings: runWarnings(m.scenario, m.params as Summary['params']),
          events: r.countRows(),
          endTimeNs: m.endTimeNs,
          digest: m.digest ?? '',
          metrics: r.recomputeMetrics(),
          trace: file,
        } satisfies RunResult;
      }),
    );
  }

  /** Metric diff (b − a) and the first event where the two runs differ (null if identical). */
  async compare(a: string, b: string): Promise<CompareResult> {
    return asUser(() =>
      this.withReader(a, (ra) =>
        this.withReader(b, (rb) => {
          const ma = ra.meta().metrics ?? ra.recomputeMetrics();
          const mb = rb.meta().metrics ?? rb.recomputeMetrics();
          const flat = (m: Metrics) => {
            const out: Record<string, unknown> = {};
            for (const [k, v] of Object.entries(m)) {
              if (v !== null && typeof v === 'object') for (const [k2, v2] of Object.entries(v)) out[`${k}.${k2}`] = v2;
              else out[k] = v;
            }
            return out;
          };
          const fa = flat(ma);
          const fb = flat(mb);
          const metrics: Record<string, MetricDiff> = {};
          for (const k of new Set([...Object.keys(fa), ...Object.keys(fb)])) {
            const x = fa[k] ?? null;
            const y = fb[k] ?? null;
            metrics[k] = { a: x, b: y, delta: typeof x === 'number' && typeof y === 'number' ? y - x : null };
          }
          return { a, b, metrics, firstDivergence: firstDivergence(ra, rb) };
        }),
      ),
    );
  }

  /** Re-run the recorded scenario, params and seed in a worker and compare with the recorded events. */
  async verify(file: string, opts: OpOptions = {}): Promise<VerifyResult> {
    const m = await asUser(() => this.withReader(file, (r) => r.meta()));
    const h = startWorker(
      { mode: 'verify', scenario: m.scenario, params: m.params, seed: m.seed, file: path.resolve(file), appVersion: APP_VERSION, created: '', progressEvery: 65_536 },
      opts.onProgress,
    );
    const onAbort = () => h.cancel();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const { summary, verify } = await h.done.catch((e: unknown) => {
        throw userError(e);
      });
      const v = verify as NonNullable<typeof verify>;
      const complete = m.status === 'complete';
      const match = v.divergence === null && (complete ? summary.digest === m.digest && summary.events === v.recordedEvents : true);
      let note: string | null = null;
      if (!complete) note = `the recorded run is ${m.status}: its ${v.recordedEvents} recorded events were compared with the re-run's first ${v.recordedEvents}`;
      if (m.modelVersion !== summary.modelVersion) note = `recorded with model version ${m.modelVersion}, re-run with ${summary.modelVersion}: a difference is expected`;
      return {
        trace: file,
        match,
        recordedStatus: m.status,
        recordedDigest: m.digest,
        digest: summary.digest,
        recordedEvents: v.recordedEvents,
        events: summary.events,
        recordedModelVersion: m.modelVersion,
        modelVersion: summary.modelVersion,
        firstDivergence: v.divergence,
        note,
      };
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Write the trace as Chrome Trace Event JSON (Perfetto) or as CSV of event_log. */
  async export(file: string, format: string, out: string): Promise<ExportResult> {
    if (!(EXPORT_FORMATS as readonly string[]).includes(format)) throw new UserError(`Export format '${format}' is not known; valid formats: ${EXPORT_FORMATS.join(', ')}.`);
    if (path.resolve(out) === path.resolve(file)) throw new UserError(`The export would overwrite the trace '${file}'; choose another --out.`);
    return asUser(() =>
      this.withReader(file, (r) => {
        const bytes = format === 'csv' ? exportCsv(r, out) : exportChromeJson(r, out);
        return { trace: file, format: format as ExportFormat, out, bytes };
      }),
    );
  }

  /** One read-only SQL statement on the trace; writes are refused and the file is never modified. */
  async query(file: string, sql: string, limit?: number): Promise<QueryResult> {
    return asUser(() => this.withReader(file, (r) => r.query(sql, limit)));
  }

  /** The full model state at each time (ns), in the order given. */
  async state(file: string, timesNs: number[]): Promise<StateAt[]> {
    for (const t of timesNs) if (!Number.isSafeInteger(t) || t < 0) throw new UserError(`A state time must be a non-negative integer of ns; got '${t}'.`);
    return asUser(() => this.withReader(file, (r) => timesNs.map((t) => r.stateAt(t))));
  }

  /** Level-of-detail data per track for each range, for a view `width` pixels wide; `tracks` limits it to those actor ids. */
  async window(file: string, ranges: { fromNs: number; toNs: number }[], width: number, tracks?: number[]): Promise<WindowRange[]> {
    if (!Number.isInteger(width) || width < 1 || width > 100_000) throw new UserError(`The width must be an integer number of pixels from 1 to 100000; got '${width}'.`);
    for (const g of ranges) {
      if (!(g.toNs > g.fromNs) || g.fromNs < 0) throw new UserError(`The range ${g.fromNs}:${g.toNs} must start at or after 0 and end after it starts.`);
    }
    return asUser(() => this.withReader(file, (r) => ranges.map((g) => r.window(g.fromNs, g.toNs, width, tracks))));
  }

  private withReader<T>(file: string, fn: (r: TraceReader) => T): T {
    const r = new TraceReader(file);
    try {
      return fn(r);
    } finally {
      r.close();
    }
  }
}
