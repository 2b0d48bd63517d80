import type { MetricDiffDto } from '../../../main/contract';
import { formatNs } from '../timeline/time';

/** One row of the compare view's metric table, in words. */
export interface DiffRow {
  name: string;
  /** What the metric is called on screen ("release() latency, max"). */
  label: string;
  a: string;
  b: string;
  /** The size of the difference: "−99.9998 %", "−1", "×526,317", "appeared", "same". */
  change: string;
  /** "5 s → 9.5 µs (−99.9998 %)": the whole difference in one line. */
  text: string;
  direction: MetricDiffDto['direction'];
  /** The definition, shown on hover. */
  doc: string;
}

const LABELS: Record<string, string> = {
  releaseLatencyNs: 'release() latency',
  releaseUnfinished: 'release() never returned',
  oomVictims: 'OOM victims',
  innocentVictims: 'innocent victims',
  oomSkipSetNs: 'MMF_OOM_SKIP set',
  memoryFreedNs: 'memory freed',
  abortedTransactions: 'aborted DMA',
  atsNoTranslation: 'ATS R=W=0',
  priInvalidResponses: 'PRI Invalid responses',
  faultsPrinted: 'faults printed',
  reportedErrors: 'reported errors',
  lockups: 'lockups',
  hungTaskReports: 'hung-task reports',
  lockdepReports: 'lockdep reports',
  mightSleepReports: 'might_sleep reports',
  pasidsPeak: 'PASIDs peak',
  pasidFreedNs: 'PASID freed',
  pasidAllocFailures: 'PASID alloc failures',
  pasidsHeldByDeadMmsPeak: 'PASIDs held by dead mms',
  strayTransactions: 'stray DMA',
  pageResponses: 'page responses',
  pageResponseLatencyNs: 'page response latency',
  prqOverflows: 'PRQ overflows',
  pageRequestBranches: 'page requests',
  drainRetries: 'drain retries',
  drainNs: 'PRQ drain',
};

/** A metric's on-screen name: "releaseLatencyNs.max" → "release() latency, max". */
export function metricLabel(name: string): string {
  const [base, sub] = name.split('.');
  const l = LABELS[base] ?? base;
  return sub ? `${l}, ${sub === 'p50' ? 'median' : sub}` : l;
}

/** Is this a time (ns) rather than a count? Nested counts (`releaseLatencyNs.count`) are counts. */
export function isTimeMetric(name: string): boolean {
  const [base, sub] = name.split('.');
  return base.endsWith('Ns') && sub !== 'count';
}

/** A metric value: times in their unit, counts as integers; null is "never" for times, else "—". */
export function formatMetricValue(name: string, v: number | null): string {
  if (v === null) return isTimeMetric(name) ? 'never' : '—';
  return isTimeMetric(name) ? formatNs(v) : v.toLocaleString('en-US');
}

const MINUS = '\u2212';
const signed = (x: number, s: string) => `${x < 0 ? MINUS : '+'}${s}`;

/**
 * A relative change in percent, with as many decimals as it takes not to read as a round ±100 %
 * when it is not one: 5 000 009 500 → 9 500 is "−99.9998 %", not "−100 %".
 */
export function formatPercent(a: number, b: number): string {
  const pct = ((b - a) / Math.abs(a)) * 100;
  let digits = 1;
  let s = Math.abs(pct).toFixed(digits);
  while (digits < 8 && ((Number(s) === 100 && b !== 0) || (Number(s) === 0 && b !== a))) s = Math.abs(pct).toFixed(++digits);
  s = s.includes('.') ? s.replace(/\.?0+$/, '') : s;
  return `${signed(pct, s)} %`;
}

/** How big the difference from A to B is, in the way that reads best for its size. */
export function formatChange(d: Pick<MetricDiffDto, 'name' | 'a' | 'b' | 'direction'>): string {
  switch (d.direction) {
    case 'none':
      return '';
    case 'same':
      return 'same';
    case 'appeared':
      return 'appeared';
    case 'vanished':
      return 'vanished';
  }
  const a = d.a as number;
  const b = d.b as number;
  if (!isTimeMetric(d.name)) return signed(b - a, Math.abs(b - a).toLocaleString('en-US'));
  if (a === 0) return signed(b, formatNs(Math.abs(b)));
  // Grown more than tenfold: a factor says it better than "+52631478.9 %".
  if (b / a >= 10) return `×${Math.round(b / a).toLocaleString('en-US')}`;
  return formatPercent(a, b);
}

/** One table row: both values, the change, and the sentence "5 s → 9.5 µs (−99.9998 %)". */
export function diffRow(d: MetricDiffDto): DiffRow {
  const a = formatMetricValue(d.name, d.a);
  const b = formatMetricValue(d.name, d.b);
  const change = formatChange(d);
  const text = d.direction === 'same' || d.direction === 'none' ? `${a} → ${b}` : `${a} → ${b} (${change})`;
  return { name: d.name, label: metricLabel(d.name), a, b, change, text, direction: d.direction, doc: d.doc };
}

/**
 * The rows of the table: every metric that differs, in the service's order (release() latency
 * first), then, if asked, the ones that are the same. Counts of latency samples go with the
 * latency they count; page-request breakdowns stay out unless they differ.
 */
export function diffRows(metrics: readonly MetricDiffDto[], showSame: boolean): DiffRow[] {
  // A release() latency that is missing because the call never returned says so, not "never".
  const unfinished = metrics.find((m) => m.name === 'releaseUnfinished');
  const rows = metrics.map((m) => {
    const r = diffRow(m);
    if (!unfinished || !/^releaseLatencyNs\.(max|p50)$/.test(m.name)) return r;
    const a = m.a === null && (unfinished.a ?? 0) > 0 ? 'never returned' : r.a;
    const b = m.b === null && (unfinished.b ?? 0) > 0 ? 'never returned' : r.b;
    if (a === r.a && b === r.b) return r;
    return { ...r, a, b, text: r.change && r.direction !== 'same' ? `${a} → ${b} (${r.change})` : `${a} → ${b}` };
  });
  const differs = (r: DiffRow) => r.direction !== 'same' && r.direction !== 'none';
  return [...rows.filter(differs), ...(showSame ? rows.filter((r) => !differs(r) && r.direction !== 'none') : [])];
}
