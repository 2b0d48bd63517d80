import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { designOf } from '../../sim/design';
import { MODEL_VERSION, scenarioOrThrow, UnknownScenarioError } from '../../sim/run';
import { sweepId, sweepRunFileName } from '../names';
import { UserError } from '../errors';
import type { OpOptions, RecordRequest, RunResult } from '../runs';
import { SweepManifests, type Manifest, type SweepListItem, type SweepRecord } from './manifests';
import { aggregate, checkMetrics, expandGrid, flattenMetrics, type AggregatedPoint, type SweepDefinition, type SweepPointDto, type SweepRunDto } from './grid';
import { APP_VERSION } from '../version';
import { sharedPool } from '../workers/pool';

export * from './grid';
export type { SweepListItem, SweepRecord, SweepStatus } from './manifests';

/** A sweep with its table: the chosen metrics per grid point (mean, min, max over seeds). */
export interface SweepResult extends SweepRecord {
  table: AggregatedPoint[];
}

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

/** How a sweep records one run: the lab's `record` (runs.ts). */
export type Recorder = (req: RecordRequest, opts: OpOptions) => Promise<RunResult>;

/**
 * Parameter sweeps: runs a grid of (parameter values × seeds) through the lab's recorder with a
 * bounded number of runs at once, records each run as its own trace in the archive, and groups
 * them under one sweep id with a manifest `sweeps/<id>.json`. Plain JSON-able values in and
 * out; user mistakes come back as UserError with one sentence.
 */
export class SweepService {
  private readonly manifests: SweepManifests;

  constructor(
    readonly home: string,
    private readonly record: Recorder,
  ) {
    this.manifests = new SweepManifests(home);
  }

  /** The folder of the manifests. */
  get dir(): string {
    return this.manifests.dir;
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
    const id = this.manifests.reserveId(sweepId(created, grid.definition.preset ?? grid.definition.scenario));
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
    this.manifests.write(m);

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
        this.manifests.write(m);
      } else timer ??= setTimeout(persist, wait);
    };
    const mmExitDefault = sc.params.find((s) => s.key === 'mmExit')?.default === true;
    const runOne = async (point: number, seed: number): Promise<void> => {
      const p = grid.points[point];
      const rec = m.points[point].runs[seed - 1];
      const name = sweepRunFileName(id, point, grid.points.length, designOf({ mmExit: mmExitDefault, ...p.params }), seed);
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
        this.manifests.write(m);
      }
      return this.result(m);
    })();
    return { id, total: m.total, done };
  }

  /** The sweeps in the archive, newest first. Unreadable manifests are listed with a `problem`. */
  async list(): Promise<SweepListItem[]> {
    return this.manifests.list();
  }

  /** One sweep with its runs and its table (the definition's metrics, or `metrics` if given). */
  async get(id: string, metrics?: string[]): Promise<SweepResult> {
    const m = this.manifests.read(id);
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
}
