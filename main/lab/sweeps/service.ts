import type { SweepListItemDto } from '../../contract';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { designOf } from '../../sim/design';
import { MODEL_VERSION, scenarioOrThrow, UnknownScenarioError } from '../../sim/run';
import { stamp, traceName } from '../names';
import { UserError } from '../errors';
import type { OpOptions, RecordRequest, RunResult } from '../runs';
import { aggregate, checkMetrics, expandGrid, flattenMetrics, type AggregatedPoint, type ResolvedSweepDefinition, type SweepDefinition, type SweepPointDto, type SweepRunDto } from './grid';
import { APP_VERSION } from '../version';
import { sharedPool } from '../workers/pool';

export * from './grid';

/**
 * `interrupted`: the manifest still says running but the process that ran it is gone (killed,
 * crashed); finished runs are kept as for a cancelled sweep.
 */
export type SweepStatus = 'running' | 'complete' | 'cancelled' | 'interrupted';

/** A sweep as its manifest (`<archive>/sweeps/<id>.json`) records it; updated as runs finish. */
export interface SweepRecord {
  id: string;
  definition: ResolvedSweepDefinition;
  /** ISO times (wall clock) of the start and of the end (null while running). */
  created: string;
  finished: string | null;
  status: SweepStatus;
  /** Runs in the grid (points × seeds) and runs finished (complete, cancelled or failed). */
  total: number;
  done: number;
  appVersion: string;
  modelVersion: number;
  points: SweepPointDto[];
}

/** A sweep with its table: the chosen metrics per grid point (mean, min, max over seeds). */
export interface SweepResult extends SweepRecord {
  table: AggregatedPoint[];
}

/** One sweep in the list, without its runs (`problem` is set for a manifest that cannot be read). */
export type SweepListItem = SweepListItemDto;

/** Sent each time a run of the sweep finishes. */
export interface SweepProgress {
  sweepId: string;
  done: number;
  total: number;
  lastRun: SweepRunDto & { point: number; values: SweepPointDto['values'] };
}

export interface SweepOptions {
  onProgress?: (p: SweepProgress) => void;
  /** Aborting stops the sweep: running runs are cancelled (their traces kept, marked so), pending ones never start. */
  signal?: AbortSignal;
  /** Runs at once (default: os.availableParallelism()). */
  jobs?: number;
}

export interface SweepHandle {
  id: string;
  /** Runs in the grid (points × seeds). */
  total: number;
  /** Resolves when every run has finished, or the sweep was stopped; never rejects for a failed run. */
  done: Promise<SweepResult>;
}

/** Manifest on disk: the DTO plus who is running it, so a dead runner can be told from a live one. */
interface Manifest extends SweepRecord {
  format: 1;
  runner: { pid: number; host: string };
}

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** How a sweep records one run: the lab's `record` (runs.ts). */
export type Recorder = (req: RecordRequest, opts: OpOptions) => Promise<RunResult>;

/**
 * Parameter sweeps: runs a grid of (parameter values × seeds) through the lab's recorder with a
 * bounded number of runs at once, records each run as its own trace in the archive, and groups
 * them under one sweep id with a manifest `sweeps/<id>.json`. Plain JSON-able values in and
 * out; user mistakes come back as UserError with one sentence.
 */
export class SweepService {
  constructor(
    readonly home: string,
    private readonly record: Recorder,
  ) {}

  /** The folder of the manifests. */
  get dir(): string {
    return path.join(this.home, 'sweeps');
  }

  /**
   * Validate the definition (throws UserError at once, before anything is written), reserve a
   * sweep id, write the manifest, and start running. Returns the id at once; `done` resolves with
   * the result when the sweep ends, complete or cancelled.
   */
  start(def: SweepDefinition, opts: SweepOptions = {}): SweepHandle {
    let sc;
    try {
      sc = scenarioOrThrow(def.scenario);
    } catch (e) {
      throw e instanceof UnknownScenarioError ? new UserError(e.message) : e;
    }
    const grid = expandGrid(def, sc.params);
    const jobs = opts.jobs ?? os.availableParallelism();
    if (!Number.isSafeInteger(jobs) || jobs < 1 || jobs > 64) throw new UserError(`The number of runs at once (--jobs) must be an integer from 1 to 64; got '${String(opts.jobs)}'.`);
    const created = new Date();
    const id = this.reserveId(`${stamp(created)}-${grid.definition.preset ?? grid.definition.scenario}`);
    const m: Manifest = {
      format: 1,
      id,
      definition: grid.definition,
      created: created.toISOString(),
      finished: null,
      status: 'running',
      total: grid.runs.length,
      done: 0,
      appVersion: APP_VERSION,
      modelVersion: MODEL_VERSION,
      runner: { pid: process.pid, host: os.hostname() },
      points: grid.points.map((p) => ({ index: p.index, values: p.values, runs: Array.from({ length: grid.definition.seeds }, (_, i) => ({ seed: i + 1, run: null, status: 'pending', error: null, metrics: null })) })),
    };
    this.write(m);

    const signal = opts.signal;
    // Every finished run rewrites the manifest; for big sweeps (the manifest grows with the
    // runs) writes are coalesced to one a second, and the last one is always written.
    const minGapMs = m.total > 200 ? 1000 : 0;
    let lastWrite = 0;
    let timer: NodeJS.Timeout | null = null;
    const persist = () => {
      const wait = lastWrite + minGapMs - Date.now();
      if (wait <= 0) {
        if (timer) clearTimeout(timer);
        timer = null;
        lastWrite = Date.now();
        this.write(m);
      } else timer ??= setTimeout(persist, wait);
    };
    const mmExitDefault = sc.params.find((s) => s.key === 'mmExit')?.default === true;
    const runOne = async (point: number, seed: number): Promise<void> => {
      const p = grid.points[point];
      const rec = m.points[point].runs[seed - 1];
      const name = traceName(`${id}-p${String(point).padStart(String(grid.points.length - 1).length, '0')}`, designOf({ mmExit: mmExitDefault, ...p.params }), seed);
      rec.status = 'running';
      rec.run = name;
      persist();
      try {
        const r = await this.record({ scenario: grid.definition.scenario, params: p.params, seed, out: path.join(this.home, name) }, { signal });
        rec.status = r.status === 'interrupted' ? 'failed' : r.status;
        rec.error = r.error;
        rec.metrics = flattenMetrics(r.metrics);
      } catch (e) {
        rec.status = 'failed';
        rec.error = e instanceof Error ? e.message : String(e);
        if (!fs.existsSync(path.join(this.home, name))) rec.run = null;
      }
      m.done++;
      persist();
      opts.onProgress?.({ sweepId: id, done: m.done, total: m.total, lastRun: { ...structuredClone(rec), point, values: { ...p.values } } });
    };

    // Runs go to the lab's warm worker pool: start as many workers as lanes now, while the
    // first runs are set up, so that no run after the first few waits for a worker to boot.
    sharedPool().prewarm(Math.min(jobs, grid.runs.length));
    const done = (async (): Promise<SweepResult> => {
      let next = 0;
      const lane = async () => {
        while (next < grid.runs.length && !signal?.aborted) {
          const r = grid.runs[next++];
          await runOne(r.point, r.seed);
        }
      };
      try {
        await Promise.all(Array.from({ length: Math.min(jobs, grid.runs.length) }, lane));
      } finally {
        const cut = m.points.some((p) => p.runs.some((r) => r.status === 'pending' || r.status === 'cancelled'));
        m.status = signal?.aborted && cut ? 'cancelled' : 'complete';
        m.finished = new Date().toISOString();
        if (timer) clearTimeout(timer);
        this.write(m);
      }
      return this.result(m);
    })();
    return { id, total: m.total, done };
  }

  /** The sweeps in the archive, newest first. Unreadable manifests are listed with a `problem`. */
  async list(): Promise<SweepListItem[]> {
    if (!fs.existsSync(this.dir)) return [];
    const ids = fs
      .readdirSync(this.dir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.slice(0, -5))
      .sort()
      .reverse();
    return ids.map((id) => {
      try {
        const m = this.read(id);
        const d = m.definition;
        return { id, scenario: d.scenario, preset: d.preset, vary: d.vary, seeds: d.seeds, status: m.status, created: m.created, finished: m.finished, total: m.total, done: m.done };
      } catch (e) {
        const problem = e instanceof Error ? e.message : String(e);
        return { id, scenario: '', preset: null, vary: [], seeds: 0, status: 'interrupted', created: '', finished: null, total: 0, done: 0, problem };
      }
    });
  }

  /** One sweep with its runs and its table (the definition's metrics, or `metrics` if given). */
  async get(id: string, metrics?: string[]): Promise<SweepResult> {
    const m = this.read(id);
    return this.result(m, metrics === undefined ? undefined : checkMetrics(metrics));
  }

  /**
   * The sweep's table as CSV: one row per grid point; columns are the varied parameters, runs,
   * complete, then `<metric>.mean`, `.min`, `.max` per metric (times in ns; empty = never / none).
   */
  async csv(id: string, metrics?: string[]): Promise<string> {
    const r = await this.get(id, metrics);
    const keys = r.definition.vary.map((v) => v.key);
    const ms = r.table.length > 0 ? Object.keys(r.table[0].stats) : [];
    const cell = (v: unknown) => {
      if (v === null || v === undefined) return '';
      const s = String(v);
      return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
    };
    const header = [...keys, 'runs', 'complete', ...ms.flatMap((k) => [`${k}.mean`, `${k}.min`, `${k}.max`])];
    const rows = r.table.map((p) => [...keys.map((k) => p.values[k]), p.runs, p.complete, ...ms.flatMap((k) => [p.stats[k].mean, p.stats[k].min, p.stats[k].max])]);
    return `${[header, ...rows].map((row) => row.map(cell).join(',')).join('\n')}\n`;
  }

  private result(m: Manifest, metrics?: string[]): SweepResult {
    const { format: _f, runner: _r, ...dto } = structuredClone(m);
    return { ...dto, table: aggregate(dto.points, metrics ?? dto.definition.metrics) };
  }

  private file(id: string): string {
    if (!ID_RE.test(id)) throw new UserError(`'${id}' is not a sweep id (letters, digits, '.', '_' and '-'); \`sva-lab sweeps\` lists them.`);
    return path.join(this.dir, `${id}.json`);
  }

  private read(id: string): Manifest {
    const f = this.file(id);
    if (!fs.existsSync(f)) throw new UserError(`There is no sweep '${id}' in ${this.home}; \`sva-lab sweeps\` lists them.`);
    let m: Manifest;
    try {
      m = JSON.parse(fs.readFileSync(f, 'utf8')) as Manifest;
    } catch (e) {
      throw new UserError(`The manifest of sweep '${id}' (${f}) is not valid JSON: ${(e as Error).message}.`);
    }
    if (m.format !== 1 || !m.definition || !Array.isArray(m.points)) throw new UserError(`The manifest of sweep '${id}' (${f}) is not a sweep manifest this version can read.`);
    // A sweep whose runner died (killed, crashed) is not running any more.
    if (m.status === 'running' && m.runner?.host === os.hostname() && !alive(m.runner.pid)) m.status = 'interrupted';
    return m;
  }

  /** Atomic replace, so a reader (the UI polling, `sva-lab sweeps`) never sees half a manifest. */
  private write(m: Manifest): void {
    const f = this.file(m.id);
    const tmp = `${f}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, `${JSON.stringify(m, null, 1)}\n`);
    fs.renameSync(tmp, f);
  }

  /** Create the manifest file exclusively under `base` (or `base-2`, ...), with no trace already named after it. */
  private reserveId(base: string): string {
    fs.mkdirSync(this.dir, { recursive: true });
    const traces = fs.readdirSync(this.home);
    for (let i = 1; ; i++) {
      const id = i === 1 ? base : `${base}-${i}`;
      if (traces.some((t) => t.startsWith(`${id}-p`))) continue;
      try {
        fs.closeSync(fs.openSync(this.file(id), 'wx'));
        return id;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new UserError(`Cannot create the sweep manifest in '${this.dir}': ${(e as Error).message}.`);
      }
    }
  }
}
