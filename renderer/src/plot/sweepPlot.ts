import { designOf, type Design, type ParamValue, type PlotSpecDto, type RunId, type SweepDto, type SweepPointDto, type SweepPresetDto, type SweepRunDto } from '../../../main/contract';
import { formatNs } from '../timeline/time';

/**
 * What the sweep view draws: `metric` (y) against the varied parameter `x`, one series per value of
 * the varied parameter `series` (null: one series). Varied parameters that are neither are held at
 * the value in `fixed` (the first of their values when absent).
 */
export interface PlotChoice {
  metric: string;
  x: string;
  series: string | null;
  xScale: PlotSpecDto['xScale'];
  yScale: PlotSpecDto['yScale'];
  fixed: Record<string, ParamValue>;
}

/** One drawn point: a grid point's runs and the metric over their seeds. */
export interface PlotPoint {
  /** Index of the grid point in `SweepDto.points`. */
  index: number;
  values: Record<string, ParamValue>;
  x: ParamValue;
  series: ParamValue | null;
  runs: SweepRunDto[];
  /** Mean, min and max of the metric over the finished runs that have a value; null when none has. */
  mean: number | null;
  min: number | null;
  max: number | null;
  /** Finished runs with a value / finished runs whose metric is null ("never") / all runs. */
  n: number;
  nulls: number;
  total: number;
}

export interface PlotSeries {
  value: ParamValue | null;
  label: string;
  color: string;
  /** Aligned with `PlotModel.xs`; null where the grid has no point (yet). */
  points: (PlotPoint | null)[];
}

export interface PlotModel {
  choice: PlotChoice;
  /** Numeric x positions (category axes use 0..n-1). */
  xs: number[];
  xValues: ParamValue[];
  xLabels: string[];
  series: PlotSeries[];
  /** The scales actually drawn (a log scale needs positive values). */
  xScale: PlotSpecDto['xScale'];
  yScale: PlotSpecDto['yScale'];
  /** The metric is a time in ns (axis and table read in ms/s). */
  timeMetric: boolean;
  /** Points with at least one finished run / all points drawn. */
  filled: number;
  pointCount: number;
  /** Why the drawing departs from the choice, one sentence each. */
  notes: string[];
}

/** The mm_exit design's colour in the whole app (style.css --mm-exit), the quiet one's (--quiet). */
export const MM_EXIT_COLOR = '#ad1457';
export const QUIET_COLOR = '#00695c';
const DESIGN_COLOR: Record<Design, string> = { mm_exit: MM_EXIT_COLOR, quiet: QUIET_COLOR };
const PALETTE = ['#1565c0', '#ef6c00', '#6a1b9a', '#2e7d32', '#5d4037', '#00838f', '#c62828', '#455a64'];

/** True for a metric whose values are durations or times in ns (`memoryFreedNs`, `releaseLatencyNs.max`). */
export function isTimeMetric(path: string): boolean {
  const [head, tail] = path.split('.');
  if (tail === undefined) return head.endsWith('Ns');
  return head.endsWith('Ns') && tail !== 'count';
}

/** A series' name: the designs by their names, other parameters as `key=value`. */
export function seriesLabel(key: string | null, v: ParamValue | null): string {
  if (key === null || v === null) return 'all runs';
  if (key === 'mmExit') return designOf({ mmExit: v });
  return `${key}=${String(v)}`;
}

function seriesColor(key: string | null, v: ParamValue | null, i: number): string {
  if (key === 'mmExit') return DESIGN_COLOR[designOf({ mmExit: v })];
  return PALETTE[i % PALETTE.length];
}

/** A parameter value as an axis or table label: `…Ms` parameters read as durations (1000 -> "1 s"). */
export function formatParam(key: string, v: ParamValue): string {
  if (v === 0 && /[MN]s$/.test(key)) return '0';
  if (typeof v === 'number' && /Ms$/.test(key)) return formatNs(v * 1e6);
  if (typeof v === 'number' && /Ns$/.test(key)) return formatNs(v);
  return String(v);
}

/** A metric value for the table and the tooltip: times in their unit, null as "never". */
export function formatMetric(metric: string, v: number | null): string {
  if (v === null) return isTimeMetric(metric) ? 'never' : '—';
  if (isTimeMetric(metric)) return formatNs(v);
  return Number.isInteger(v) ? String(v) : v.toFixed(2).replace(/\.?0+$/, '');
}

/** The metrics a sweep can plot: the ones it was defined with first, then every other one its runs have. */
export function plottableMetrics(sweep: SweepDto): string[] {
  const out = [...sweep.definition.metrics];
  for (const p of sweep.points) {
    for (const r of p.runs) {
      if (!r.metrics) continue;
      for (const k of Object.keys(r.metrics)) if (!out.includes(k)) out.push(k);
      return out;
    }
  }
  return out;
}

const same = (a: ParamValue | undefined, b: ParamValue | undefined) => a === b;

/**
 * The default drawing of a sweep: its preset's first plot, else the first metric against the
 * first numeric varied parameter, one series per mmExit (or the other varied parameter).
 */
export function defaultChoice(sweep: SweepDto, presets: readonly SweepPresetDto[]): PlotChoice {
  const vary = sweep.definition.vary;
  const preset = presets.find((p) => p.name === sweep.definition.preset);
  const spec = preset?.plots.find((p) => vary.some((v) => v.key === p.x));
  if (spec) {
    const series = vary.some((v) => v.key === spec.series) && spec.series !== spec.x ? spec.series : null;
    return { metric: spec.metric, x: spec.x, series, xScale: spec.xScale, yScale: spec.yScale, fixed: {} };
  }
  const numeric = vary.find((v) => v.values.every((x) => typeof x === 'number') && v.key !== 'mmExit');
  const x = (numeric ?? vary.find((v) => v.key !== 'mmExit') ?? vary[0])?.key ?? '';
  const rest = vary.filter((v) => v.key !== x);
  const series = (rest.find((v) => v.key === 'mmExit') ?? rest[0])?.key ?? null;
  return { metric: sweep.definition.metrics[0] ?? 'innocentVictims', x, series, xScale: autoXScale(vary.find((v) => v.key === x)?.values ?? []), yScale: 'linear', fixed: {} };
}

/** Log when positive numbers span two decades or more, linear for other numbers, else categories. */
export function autoXScale(values: readonly ParamValue[]): PlotSpecDto['xScale'] {
  if (!values.length || !values.every((v) => typeof v === 'number')) return 'category';
  const nums = values as number[];
  const lo = Math.min(...nums);
  const hi = Math.max(...nums);
  return lo > 0 && hi / lo >= 100 ? 'log' : 'linear';
}

/** Mean, min and max of one metric over a point's finished runs. */
export function pointStats(runs: readonly SweepRunDto[], metric: string): Pick<PlotPoint, 'mean' | 'min' | 'max' | 'n' | 'nulls' | 'total'> {
  let n = 0;
  let nulls = 0;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const r of runs) {
    if (r.status !== 'complete' || !r.metrics) continue;
    const v = r.metrics[metric];
    if (v === null || v === undefined) {
      nulls++;
      continue;
    }
    n++;
    sum += v;
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  return n ? { mean: sum / n, min, max, n, nulls, total: runs.length } : { mean: null, min: null, max: null, n, nulls, total: runs.length };
}

/** Lay a sweep out for drawing: x positions, one series per value of the series parameter, stats per point. */
export function buildPlot(sweep: SweepDto, choice: PlotChoice): PlotModel {
  const vary = sweep.definition.vary;
  const notes: string[] = [];
  const xDef = vary.find((v) => v.key === choice.x);
  const sDef = choice.series ? vary.find((v) => v.key === choice.series && v.key !== choice.x) : undefined;
  const xValues: ParamValue[] = xDef ? [...xDef.values] : [];
  let xScale = choice.xScale;
  const numeric = xValues.length > 0 && xValues.every((v) => typeof v === 'number');
  if (!numeric) xScale = 'category';
  if (numeric && xScale !== 'category') xValues.sort((a, b) => (a as number) - (b as number));
  if (xScale === 'log' && (xValues as number[]).some((v) => v <= 0)) {
    xScale = 'linear';
    notes.push(`${choice.x} has values of 0 or less, so its axis is linear, not log.`);
  }
  const xs = xScale === 'category' ? xValues.map((_, i) => i) : (xValues as number[]);
  const xLabels = xValues.map((v) => formatParam(choice.x, v));

  // Other varied parameters are held at one value each.
  const fixed: Record<string, ParamValue> = {};
  for (const v of vary) {
    if (v.key === choice.x || v.key === sDef?.key) continue;
    const want = choice.fixed[v.key];
    fixed[v.key] = v.values.some((x) => same(x, want)) ? want : v.values[0];
  }
  const inSlice = (p: SweepPointDto) => Object.entries(fixed).every(([k, v]) => same(p.values[k], v));

  const seriesValues: (ParamValue | null)[] = sDef ? [...sDef.values] : [null];
  if (sDef && sDef.values.every((v) => typeof v === 'number')) seriesValues.sort((a, b) => (a as number) - (b as number));
  let filled = 0;
  let pointCount = 0;
  const series: PlotSeries[] = seriesValues.map((sv, i) => {
    const points = xValues.map((xv): PlotPoint | null => {
      const p = sweep.points.find((q) => inSlice(q) && same(q.values[choice.x], xv) && (sDef ? same(q.values[sDef.key], sv ?? undefined) : true));
      if (!p) return null;
      pointCount++;
      const stats = pointStats(p.runs, choice.metric);
      if (stats.n + stats.nulls > 0) filled++;
      return { index: p.index, values: p.values, x: xv, series: sv, runs: p.runs, ...stats };
    });
    return { value: sv, label: seriesLabel(sDef?.key ?? null, sv), color: seriesColor(sDef?.key ?? null, sv, i), points };
  });

  let yScale = choice.yScale;
  if (yScale === 'log' && series.some((s) => s.points.some((p) => p && p.min !== null && p.min <= 0))) {
    yScale = 'linear';
    notes.push(`${choice.metric} has values of 0, so its axis is linear, not log.`);
  }
  return { choice: { ...choice, series: sDef?.key ?? null, fixed }, xs, xValues, xLabels, series, xScale, yScale, timeMetric: isTimeMetric(choice.metric), filled, pointCount, notes };
}

/** What clicking a point opens: its run, or the mm_exit/quiet pair at that grid point (same seed). */
export type PointTarget = { kind: 'run'; run: RunId } | { kind: 'compare'; a: RunId; b: RunId; seed: number } | null;

export function pointTarget(sweep: SweepDto, point: PlotPoint, seriesKey: string | null): PointTarget {
  const done = (r: SweepRunDto) => r.status === 'complete' && r.run !== null;
  if (seriesKey === 'mmExit') {
    const partner = sweep.points.find((q) => q.index !== point.index && Object.entries(point.values).every(([k, v]) => (k === 'mmExit' ? q.values[k] === !v : same(q.values[k], v))));
    if (partner) {
      const [mine, theirs] = [point.runs, partner.runs];
      const mmExitRuns = point.values.mmExit === true ? mine : theirs;
      const quietRuns = point.values.mmExit === true ? theirs : mine;
      for (const a of mmExitRuns) {
        const b = quietRuns.find((r) => r.seed === a.seed);
        if (b && done(a) && done(b)) return { kind: 'compare', a: a.run as RunId, b: b.run as RunId, seed: a.seed };
      }
    }
  }
  const r = point.runs.find(done);
  return r ? { kind: 'run', run: r.run as RunId } : null;
}
