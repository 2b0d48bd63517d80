import { MetricsFold, type Metrics } from '../sim/metrics';
import type { LogFormat } from './kernlog/types';

/**
 * What an observed run (a kernel log imported as a run, see observed.ts) is called and which
 * metrics it can give. Pure (no SQLite, no node): the lab's compare and summary and the renderer's
 * test fake share it.
 */

/** The scenario and model name of an observed run. */
export const OBSERVED = 'observed';

/**
 * Metrics a kernel log can show (the rest are the model's inner state: refcounts, PASIDs, DMA,
 * page requests, release() timing). `lockdepReports` and `mightSleepReports` are counted where the
 * build has those metrics.
 */
const LOG_METRICS = ['oomVictims', 'oomReaped', 'oomReapFailed', 'panics', 'hungTaskReports', 'faultsPrinted', 'reportedErrors', 'lockdepReports', 'mightSleepReports', 'triggerNs'];
/** What an ftrace capture cannot show either: it holds trace events, not printk lines. */
const NOT_IN_FTRACE = ['panics', 'hungTaskReports', 'faultsPrinted', 'reportedErrors', 'oomReapFailed', 'lockdepReports', 'mightSleepReports'];

/** The metrics an observed run of this format cannot give (every other key of Metrics can be read from the log). */
export function notObservable(format: LogFormat | string, metricNames: readonly string[]): string[] {
  return metricNames.filter((k) => !LOG_METRICS.includes(k) || (format === 'ftrace' && NOT_IN_FTRACE.includes(k)));
}

/**
 * The metrics of an observed run from the MetricsFold of its events: the metrics the log can show
 * as folded (the same definitions as a model run), the others at their empty value (0, null),
 * which the summary's `notObservable` lists so that nobody reads them as measured. Reports the
 * build's fold does not count yet (lockdep, might_sleep) are counted from the lines' kinds.
 */
export function observedMetrics(folded: Metrics, format: string, reportKinds: Record<string, number>): { metrics: Metrics; notObservable: string[] } {
  const empty = new MetricsFold().result() as unknown as Record<string, unknown>;
  const m = { ...folded } as unknown as Record<string, unknown>;
  const hidden = notObservable(format, Object.keys(empty));
  for (const k of hidden) m[k] = empty[k];
  if ('lockdepReports' in m && !hidden.includes('lockdepReports') && m.lockdepReports === 0) m.lockdepReports = reportKinds.lockdep ?? 0;
  if ('mightSleepReports' in m && !hidden.includes('mightSleepReports') && m.mightSleepReports === 0) m.mightSleepReports = reportKinds.might_sleep ?? 0;
  return { metrics: m as unknown as Metrics, notObservable: hidden };
}

/** The trace header's params of an observed run: where it came from and how it was read. */
export interface ObservedParams {
  source: string;
  format: LogFormat;
  clock: string;
  origin: string;
  lines: number;
  reports: number;
}

