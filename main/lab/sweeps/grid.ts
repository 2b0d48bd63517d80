import type { MetricStatsDto, SweepPointDto as ContractSweepPointDto, SweepRunDto as ContractSweepRunDto } from '../../contract';
import { MetricsFold, type Metrics } from '../../sim/metrics';
import { ParamError, parseValue, type ParamSpec, type ParamValue } from '../../sim/params';
import { UserError } from '../errors';

/**
 * Sweep grids, pure: expand a sweep definition into grid points and runs, and aggregate the
 * recorded runs' metrics per point. No I/O here; the SweepService (sweep.ts) does the running.
 */

/** What to sweep, as a user gives it: values may be strings (from `--vary k=a,b`) or typed values. */
export interface SweepDefinition {
  scenario: string;
  /** Parameters to vary, in order: the first varies slowest in the grid. */
  vary: { key: string; values: unknown[] }[];
  /** Parameters fixed for every run. */
  set?: Record<string, unknown>;
  /** Seeds 1..seeds for every grid point (default 1). */
  seeds?: number;
  /** Metric paths to tabulate (nested ones as `releaseLatencyNs.max`); default DEFAULT_SWEEP_METRICS. */
  metrics?: string[];
  /** The preset this definition came from, if any. */
  preset?: string;
}

/** A definition after validation: values parsed against the scenario's parameter specs. Stored in the manifest. */
export interface ResolvedSweepDefinition {
  scenario: string;
  vary: { key: string; values: ParamValue[] }[];
  set: Record<string, ParamValue>;
  seeds: number;
  metrics: string[];
  preset: string | null;
}

/** One point of the grid: a combination of the varied values. */
export interface GridPoint {
  /** Position in the grid (row-major over `vary`, the first parameter slowest). */
  index: number;
  /** The varied parameters' values at this point. */
  values: Record<string, ParamValue>;
  /** What each run of this point is given: `set` overlaid with `values`. */
  params: Record<string, ParamValue>;
}

/** One run to do: a grid point and a seed. */
export interface GridRun {
  point: number;
  seed: number;
}

export interface ExpandedGrid {
  definition: ResolvedSweepDefinition;
  points: GridPoint[];
  /** Every run, seed-major (all points with seed 1, then seed 2, ...), so a sweep cut short has whole curves. */
  runs: GridRun[];
}

/** Status of one run of a sweep. `pending`: not started (yet, or ever if the sweep was cancelled). */
export type SweepRunStatus = 'pending' | 'running' | 'complete' | 'cancelled' | 'failed';

/** One run of a grid point as the manifest records it (the contract's DTO: `run` is a RunId or null). */
export type SweepRunDto = ContractSweepRunDto;
/** A grid point's varied values and its runs. */
export type SweepPointDto = ContractSweepPointDto;
/** A metric over the complete runs of one grid point. `mean`, `min`, `max` are over non-null values. */
export type MetricStats = MetricStatsDto;

export interface AggregatedPoint {
  index: number;
  values: Record<string, ParamValue>;
  /** Runs of this point, and how many of them completed (only those are aggregated). */
  runs: number;
  complete: number;
  stats: Record<string, MetricStats>;
}

/** What a sweep tabulates unless told otherwise. */
export const DEFAULT_SWEEP_METRICS: readonly string[] = ['innocentVictims', 'oomVictims', 'memoryFreedNs', 'releaseLatencyNs.max', 'lockups', 'hungTaskReports'];

/** A sweep may not ask for more runs than this (a typo like `--seeds 10000` should not fill the disk). */
export const MAX_SWEEP_RUNS = 10_000;
export const MAX_SEEDS = 1000;

/** Metrics flattened to paths: `oomVictims`, `releaseLatencyNs.max`, `pageResponses.invalid`. */
export function flattenMetrics(m: Metrics): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const [k, v] of Object.entries(m) as [string, unknown][]) {
    if (v !== null && typeof v === 'object') {
      for (const [k2, v2] of Object.entries(v as Record<string, unknown>)) out[`${k}.${k2}`] = typeof v2 === 'number' ? v2 : null;
    } else out[k] = typeof v === 'number' ? v : null;
  }
  return out;
}

/** Every metric path a sweep can tabulate, in the order of the Metrics type. */
export const METRIC_PATHS: readonly string[] = Object.keys(flattenMetrics(new MetricsFold().m));

/** True for a metric path whose values are durations or times in ns (`memoryFreedNs`, `releaseLatencyNs.max`). */
export function isTimeMetric(path: string): boolean {
  const [head, tail] = path.split('.');
  if (tail === undefined) return head.endsWith('Ns');
  return head.endsWith('Ns') && tail !== 'count';
}

/** Validate metric paths (one sentence naming the bad one and the valid ones). */
export function checkMetrics(metrics: readonly string[]): string[] {
  if (metrics.length === 0) throw new UserError(`A sweep needs at least one metric; valid metrics: ${METRIC_PATHS.join(', ')}.`);
  for (const m of metrics) {
    if (!METRIC_PATHS.includes(m)) throw new UserError(`Metric '${m}' is not known; valid metrics: ${METRIC_PATHS.join(', ')}.`);
  }
  return [...new Set(metrics)];
}

/**
 * Validate a definition against the scenario's parameter specs and expand it: the cartesian
 * product of the varied values (the first `vary` entry slowest), times seeds 1..N. Throws
 * UserError with one sentence naming the parameter and what would be valid.
 */
export function expandGrid(def: SweepDefinition, specs: readonly ParamSpec[]): ExpandedGrid {
  const sc = def.scenario;
  const spec = (key: string, where: string): ParamSpec => {
    const s = specs.find((x) => x.key === key);
    if (!s) throw new UserError(`Scenario '${sc}' has no parameter '${key}' (in ${where}); valid parameters: ${specs.map((x) => x.key).join(', ')}.`);
    return s;
  };
  const parse = (s: ParamSpec, raw: unknown): ParamValue => {
    try {
      return parseValue(s, raw, sc);
    } catch (e) {
      throw e instanceof ParamError ? new UserError(e.message) : e;
    }
  };
  if (def.vary.length === 0) throw new UserError('A sweep needs at least one varied parameter (for example --vary dmaStopMs=10,100,1000).');
  const vary: ResolvedSweepDefinition['vary'] = [];
  for (const v of def.vary) {
    const s = spec(v.key, '--vary');
    if (vary.some((x) => x.key === v.key)) throw new UserError(`Parameter '${v.key}' is varied twice; give all its values in one --vary ${v.key}=a,b,c.`);
    if (v.values.length === 0) throw new UserError(`Parameter '${v.key}' is varied over no values; give at least one (--vary ${v.key}=a,b,c).`);
    const values: ParamValue[] = [];
    for (const raw of v.values) {
      const x = parse(s, raw);
      if (values.includes(x)) throw new UserError(`Parameter '${v.key}' lists the value '${String(x)}' twice in --vary.`);
      values.push(x);
    }
    vary.push({ key: v.key, values });
  }
  const set: Record<string, ParamValue> = {};
  for (const [k, raw] of Object.entries(def.set ?? {})) {
    const s = spec(k, '--set');
    if (vary.some((x) => x.key === k)) throw new UserError(`Parameter '${k}' is both varied and set; drop the --set ${k}=… or the --vary.`);
    set[k] = parse(s, raw);
  }
  const seeds = def.seeds ?? 1;
  if (!Number.isSafeInteger(seeds) || seeds < 1 || seeds > MAX_SEEDS) throw new UserError(`The number of seeds must be an integer from 1 to ${MAX_SEEDS}; got '${String(def.seeds)}'.`);
  const metrics = checkMetrics(def.metrics ?? DEFAULT_SWEEP_METRICS);
  const nPoints = vary.reduce((n, v) => n * v.values.length, 1);
  if (nPoints * seeds > MAX_SWEEP_RUNS) throw new UserError(`The sweep would make ${nPoints * seeds} runs (${nPoints} grid points × ${seeds} seeds); at most ${MAX_SWEEP_RUNS} are allowed.`);

  const points: GridPoint[] = [];
  for (let index = 0; index < nPoints; index++) {
    // Row-major: the last varied parameter changes fastest.
    const values: Record<string, ParamValue> = {};
    let rest = index;
    for (let j = vary.length - 1; j >= 0; j--) {
      const n = vary[j].values.length;
      values[vary[j].key] = vary[j].values[rest % n];
      rest = Math.floor(rest / n);
    }
    const ordered = Object.fromEntries(vary.map((v) => [v.key, values[v.key]]));
    points.push({ index, values: ordered, params: { ...set, ...ordered } });
  }
  const runs: GridRun[] = [];
  for (let seed = 1; seed <= seeds; seed++) for (const p of points) runs.push({ point: p.index, seed });
  return { definition: { scenario: sc, vary, set, seeds, metrics, preset: def.preset ?? null }, points, runs };
}

/**
 * Mean, min and max of each metric over the complete runs of each point (cancelled and failed
 * runs are left out: their metrics describe a run cut short). Null values (the thing never
 * happened) are counted in `nulls` and left out of mean/min/max; all null gives null.
 * `metrics` defaults to every metric path found in the runs.
 */
export function aggregate(points: readonly SweepPointDto[], metrics?: readonly string[]): AggregatedPoint[] {
  const keys = metrics ?? [...new Set(points.flatMap((p) => p.runs.flatMap((r) => Object.keys(r.metrics ?? {}))))];
  return points.map((p) => {
    const done = p.runs.filter((r) => r.status === 'complete' && r.metrics !== null);
    const stats: Record<string, MetricStats> = {};
    for (const k of keys) {
      let sum = 0;
      let n = 0;
      let nulls = 0;
      let min = Infinity;
      let max = -Infinity;
      for (const r of done) {
        const v = r.metrics?.[k];
        if (typeof v !== 'number') {
          nulls++;
          continue;
        }
        n++;
        sum += v;
        if (v < min) min = v;
        if (v > max) max = v;
      }
      stats[k] = n === 0 ? { mean: null, min: null, max: null, n, nulls } : { mean: sum / n, min, max, n, nulls };
    }
    return { index: p.index, values: p.values, runs: p.runs.length, complete: done.length, stats };
  });
}
