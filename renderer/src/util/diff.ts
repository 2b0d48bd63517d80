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
  /** Whether B is better or worse than A on this metric (see verdictOf). */
  verdict: Verdict;
  /** The definition, shown on hover. */
  doc: string;
}

/**
 * B against A on one metric: better, worse, worst (release() never returned: the kernel is stuck
 * for good), same, or neutral (a count that is neither good nor bad, such as page responses).
 */
export type Verdict = 'better' | 'worse' | 'worst' | 'same' | 'neutral';

/**
 * Metrics where less is better: a later memory free, an innocent victim, a longer release(), a
 * stray or aborted DMA, a lockup are all worse. A time that is null ("never") is the worst of its
 * kind: memory never freed is worse than freed late.
 */
const LOWER_IS_BETTER = new Set([
  'releaseLatencyNs', 'releaseUnfinished', 'oomVictims', 'innocentVictims', 'oomSkipSetNs', 'memoryFreedNs', 'abortedTransactions',
  'atsNoTranslation', 'priInvalidResponses', 'faultsPrinted', 'reportedErrors', 'lockups', 'hungTaskReports', 'pasidFreedNs',
  'pasidAllocFailures', 'pasidsHeldByDeadMmsPeak', 'strayTransactions', 'pageResponseLatencyNs', 'prqOverflows', 'drainRetries', 'drainNs',
  'dmaAfterFree', 'deviceStallNs', 'oomReapFailed', 'panics', 'warnings', 'lockdepReports', 'mightSleepReports',
]);
/** Times where null means "it never happened", which is bad (memory never freed); for the others null is "nothing to measure". */
const NEVER_IS_WORST = new Set(['memoryFreedNs', 'pasidFreedNs', 'oomSkipSetNs']);

export function verdictOf(d: Pick<MetricDiffDto, 'name' | 'a' | 'b' | 'direction'>): Verdict {
  const [base, sub] = d.name.split('.');
  if (d.direction === 'same' || d.direction === 'none') return 'same';
  if (base === 'releaseUnfinished') return (d.b ?? 0) > (d.a ?? 0) ? 'worst' : 'better';
  if (!LOWER_IS_BETTER.has(base) || sub === 'count') return 'neutral';
  if (d.a === null || d.b === null) {
    if (!NEVER_IS_WORST.has(base)) return 'neutral';
    return d.b === null ? 'worse' : 'better';
  }
  return d.b < d.a ? 'better' : 'worse';
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
  return { name: d.name, label: metricLabel(d.name), a, b, change, text, direction: d.direction, verdict: verdictOf(d), doc: d.doc };
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
    // A release() that never returns is the worst outcome; one that returns where the other never did is better.
    const verdict: Verdict = b === 'never returned' && a !== b ? 'worst' : a === 'never returned' && a !== b ? 'better' : r.verdict;
    return { ...r, a, b, verdict, text: r.change && r.direction !== 'same' ? `${a} → ${b} (${r.change})` : `${a} → ${b}` };
  });
  const differs = (r: DiffRow) => r.direction !== 'same' && r.direction !== 'none';
  return [...rows.filter(differs), ...(showSame ? rows.filter((r) => !differs(r) && r.direction !== 'none') : [])];
}
