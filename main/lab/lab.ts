import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LabApi, RunId, SweepPresetDto } from '../contract';
import type { Summary } from '../sim/run';
import { listScenarios, metricDocs } from './catalog';
import { checkRun, resolveRun, type RawRunRequest } from './args';
import { Annotations } from './annotations';
import { Archive } from './archive';
import { Bus } from './bus';
import { compareRuns } from './compare';
import { BusyError, UserError } from './errors';
import { download, exportTo, type Download, type ExportResult } from './exports';
import { importKernelLog, looksLikeTrace } from './observed';
import { findMatchingScenario } from './match/search';
import { Readers } from './readers';
import { MAX_ACTIVE_RUNS, Runs, type OpOptions, type RecordRequest, type RunInternals, type RunResult } from './runs';
import { INTERRUPTED_ERROR, summaryOf } from './summary';
import type { SweepDefinition } from './sweeps/grid';
import { PRESETS } from './sweeps/presets';
import { LiveSweeps } from './sweeps/live';
import { SweepService, type SweepHandle, type SweepOptions, type SweepResult } from './sweeps/service';
import { verifyRun } from './verify';
import { Views } from './views';
import { explainEvent } from './why';
import { closeSharedPool } from './workers/pool';
import { readerJob } from './workers/read';

/** Rows a query answers by default, and at most when they are collected rather than streamed. */
export const QUERY_DEFAULT_ROWS = 100_000;
export const QUERY_MAX_ROWS = 1_000_000;
/** Default deadline of a user query (ms). */
export const QUERY_DEADLINE_MS = 30_000;
/** Deadline of checking and copying a trace into the archive (ms): a quick_check of a GB-sized file takes a while. */
const IMPORT_DEADLINE_MS = 600_000;

export interface QueryOptions {
  /** Rows as they are read (the command line writes them out as they come), after the columns. */
  onRows?: (rows: unknown[][]) => void;
  onColumns?: (columns: string[]) => void;
  /** Stop the query after this many ms (default QUERY_DEADLINE_MS). */
  deadlineMs?: number;
}

/** How a lab is made. */
export interface LabOptions {
  /** At start, close traces a killed recorder left 'running' as interrupted (the long-lived adapters: serve, Electron). */
  recoverInterrupted?: boolean;
}

/** One read-only SQL statement's answer. */
export interface QueryResult {
  columns: string[];
  rows: unknown[][];
  truncated: boolean;
}

/**
 * The lab as its adapters see it: the LabApi (what IPC and HTTP carry, method for method), plus
 * what only the command line needs: trace files named by path, waiting for a run or a sweep with
 * progress on the terminal, SQL, exports to a file.
 */
export interface Lab extends LabApi {
  /** The archive folder. */
  readonly home: string;
  /** The folder of the sweeps' manifests. */
  readonly sweepsDir: string;
  /** The RunId of a trace file given by path (a FILE argument), in the archive or not. */
  runOf(file: string): RunId;
  /** The trace file of a run. */
  fileOf(id: RunId): string;
  /** Record a run and wait for its end (into the archive, or `req.out`); the summary is the worker's. */
  record(req: RecordRequest, opts?: OpOptions, internals?: RunInternals): Promise<RunResult>;
  /** Run a scenario in this thread without recording it. */
  simulate(req: RawRunRequest): Summary;
  /** A recorded run's summary with its metrics recomputed from its events. */
  summary(id: RunId): Promise<RunResult>;
  /**
   * One read-only SQL statement on the run's trace, in a reader worker with a deadline; anything
   * but a read is refused. With `onRows` the rows stream to it (and `rows` comes back empty).
   */
  query(id: RunId, sql: string, limit?: number, opts?: QueryOptions): Promise<QueryResult>;
  /** Close traces left 'running' by a killed recorder as interrupted (in a reader worker); the number closed. */
  recoverInterrupted(now?: number): Promise<number>;
  /** Export the run to a file (Chrome trace JSON or CSV). */
  exportTo(id: RunId, format: string, out: string): Promise<ExportResult>;
  /** Start a sweep with the command line's knobs (runs at once, progress per run, cancellation). */
  sweep(def: SweepDefinition, opts?: SweepOptions): SweepHandle;
  /** A sweep, tabulating `metrics` instead of its own. */
  getSweep(id: string, metrics?: string[]): Promise<SweepResult>;
  /** The sweep table as CSV (download), tabulating `metrics` instead of its own. */
  sweepCsv(id: string, metrics?: string[]): Promise<Download>;
  /** Close the open trace readers and the idle workers. */
  close(): Promise<void>;
}

/**
 * The one door into the lab: the archive in `home`, its runs (recorded in worker threads), views
 * of recorded runs, comparisons, sweeps. The CLI, Electron IPC and the HTTP server all call this
 * (IPC and HTTP check each call's arguments first: args.ts `callLab`).
 */
export function createLab(home: string, options: LabOptions = {}): Lab {
  const bus = new Bus();
  const archive = new Archive(home);
  let runs: Runs | null = null;
  const recording = (id: RunId) => runs?.isRecording(id) === true;
  archive.recording = recording;
  const readers = new Readers((id) => archive.fileOf(id), recording);
  runs = new Runs(archive, bus, (id) => readers.drop(id));
  const r = runs;
  const views = new Views(readers, recording);
  const notes = new Annotations(readers, (id) => archive.fileOf(id), recording);
  const sweeps = new SweepService(home, (req, opts) => r.record(req, opts));
  const live = new LiveSweeps(sweeps, bus);

  const lab: Lab = {
    home,
    sweepsDir: sweeps.dir,
    runOf: (file) => archive.runOf(file),
    fileOf: (id) => archive.fileOf(id),

    catalog: async () => ({ scenarios: listScenarios(), metrics: metricDocs() }),
    listRuns: async () => archive.list(),
    validateRun: async (req) => checkRun(req).errors,
    startRun: async (req) => ({ runId: r.start(req) }),
    startPair: async (req) => {
      resolveRun(req);
      if (r.active + 2 > MAX_ACTIVE_RUNS) throw new BusyError(`${r.active} runs are recording already; a pair needs two of the ${MAX_ACTIVE_RUNS} this lab runs at once: start it when runs have finished.`);
      return { mmExit: r.start({ ...req, params: { ...req.params, mmExit: true } }), quiet: r.start({ ...req, params: { ...req.params, mmExit: false } }) };
    },
    cancelRun: async (id) => r.cancel(id),
    openRun: async (id) => views.openRun(id),
    window: async (id, fromNs, toNs, widthPx, tracks) => views.window(id, fromNs, toNs, widthPx, tracks),
    state: async (id, tNs, seq) => views.state(id, tNs, seq),
    events: async (id, q) => views.events(id, q),
    stepEvent: async (id, seq, dir) => views.stepEvent(id, seq, dir),
    causeChain: async (id, seq) => views.causeChain(id, seq),
    explain: async (id, seq) => explainEvent(readers, id, seq),
    dmesg: async (id) => views.dmesg(id),
    findEvent: async (id, kind, fromSeq) => views.findEvent(id, kind, fromSeq),
    searchEvents: async (id, query, fromSeq, dir) => views.searchEvents(id, query, fromSeq, dir),
    aggregateArea: async (id, fromNs, toNs, tracks) => views.aggregateArea(id, fromNs, toNs, tracks),
    compareRuns: async (a, b) => compareRuns(readers, a, b),
    verifyRun: async (id) => verifyRun(readers, id, path.resolve(archive.fileOf(id))),

    async importTrace(file) {
      let src = file.path;
      let tmp: string | null = null;
      if (!src) {
        if (file.bytesBase64 === undefined) throw new UserError('Import needs a file: give its path or its contents.');
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sva-lab-import-'));
        const safe = path.basename(file.name).replace(/[^A-Za-z0-9._-]/g, '_') || 'trace.sqlite';
        src = path.join(tmp, safe);
        fs.writeFileSync(src, Buffer.from(file.bytesBase64, 'base64'));
      } else if (!fs.existsSync(src)) {
        throw new UserError(`'${src}' does not exist; choose an SVA Lab trace file (.sqlite) or a kernel log.`);
      }
      try {
        // An SQLite file is a trace to validate and copy; anything else is read as a kernel log (an observed run).
        const id = looksLikeTrace(src, file.name)
          ? await archive.import(src, (from, dest) => readerJob({ op: 'import', src: from, dest }, { deadlineMs: IMPORT_DEADLINE_MS }))
          : importKernelLog(home, src, file.name);
        bus.emit({ type: 'archive-changed' });
        return archive.item(id);
      } catch (e) {
        // The message names the temporary copy; name the user's file instead.
        if (tmp && e instanceof Error && src) throw new UserError(e.message.split(src).join(file.name));
        throw e;
      } finally {
        if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
      }
    },
    async deleteRun(id) {
      if (recording(id)) throw new UserError(`Run '${id}' is still running; cancel it before deleting it.`);
      readers.drop(id);
      archive.remove(id);
      bus.emit({ type: 'archive-changed' });
    },

    listAnnotations: async (id) => notes.list(id),
    addAnnotation: async (id, a) => notes.add(id, a),
    deleteAnnotation: async (id, n) => notes.remove(id, n),
    exportRun: (id, format) => download(archive.fileOf(id), path.basename(id), format),

    sweepPresets: async () => PRESETS.map((p) => ({ ...p, definition: p.definition as SweepPresetDto['definition'], plots: p.plots.map((x) => ({ ...x })) })),
    listSweeps: async () => sweeps.list(),
    startSweep: async (def) => {
      const h = live.startLimited(def);
      return { sweepId: h.id, total: h.total };
    },
    sweep: (def, opts) => live.start(def, opts),
    getSweep: (id, metrics) => sweeps.get(id, metrics),
    cancelSweep: async (id) => live.cancel(id),
    sweepCsv: async (id, metrics) => ({ name: `${id}.csv`, mime: 'text/csv', bytesBase64: Buffer.from(await sweeps.csv(id, metrics), 'utf8').toString('base64') }),

    findMatchingScenario: async (id) => findMatchingScenario(readers, id),

    onEvent: (cb) => bus.on(cb),

    record: (req, opts, internals) => r.record(req, opts, internals),
    simulate: (req) => r.simulate(req),
    summary: async (id) => {
      const file = archive.fileOf(id);
      return { ...readers.with(id, (t) => summaryOf(t, { live: recording(id), recompute: true })), trace: file };
    },
    async query(id, sql, limit = QUERY_DEFAULT_ROWS, opts = {}) {
      const file = archive.fileOf(id);
      if (!Number.isSafeInteger(limit) || limit < 1) throw new UserError(`The query on '${file}' needs a row limit that is a positive integer; got ${limit}.`);
      if (!opts.onRows && limit > QUERY_MAX_ROWS) throw new UserError(`The query on '${file}' asks for up to ${limit} rows; a query answers at most ${QUERY_MAX_ROWS} rows at once (the command line's --json and --csv stream more).`);
      const rows: unknown[][] = [];
      const q = await readerJob<{ columns: string[]; truncated: boolean; count: number }>(
        { op: 'query', file, sql, limit, chunk: 1000 },
        {
          deadlineMs: opts.deadlineMs ?? QUERY_DEADLINE_MS,
          onColumns: opts.onColumns,
          late: (s) => `The query on '${file}' ran longer than ${s} s and was stopped; narrow it (WHERE, LIMIT) or allow more time (--timeout).`,
          onRows: (batch) => {
            if (opts.onRows) opts.onRows(batch);
            else for (const r of batch) rows.push(r);
          },
        },
      );
      return { columns: q.columns, rows, truncated: q.truncated };
    },
    exportTo: (id, format, out) => exportTo(archive.fileOf(id), format, out),
    async recoverInterrupted(now) {
      let n = 0;
      for (const f of archive.orphans(now)) {
        const id = path.basename(f);
        readers.drop(id);
        try {
          if ((await readerJob<number>({ op: 'close-abandoned', file: f, as: 'interrupted', error: INTERRUPTED_ERROR }, { deadlineMs: IMPORT_DEADLINE_MS })) >= 0) n++;
        } catch {
          // left as it is: still listed as interrupted, its problem shown when opened
        }
        readers.drop(id);
      }
      if (n > 0) bus.emit({ type: 'archive-changed' });
      return n;
    },
    async close() {
      readers.closeAll();
      await closeSharedPool();
    },
  };
  if (options.recoverInterrupted) void lab.recoverInterrupted().catch(() => undefined);
  return lab;
}
