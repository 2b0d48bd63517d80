import { runWarnings, type Summary } from '../sim/run';
import { designOf } from '../sim/design';
import { OBSERVED, observedMetrics, type ObservedParams } from '../trace/observed_meta';
import type { TraceReader } from '../trace/reader';

/** How to read a summary back from a trace. */
export interface SummaryOptions {
  /** This lab is recording the run right now: a 'running' trace is a run in progress, not an abandoned one. */
  live: boolean;
  /** Fold the recorded events again instead of trusting the metrics the run stored (the command line's `summary`). */
  recompute: boolean;
}

/** Why a run is interrupted: the error a trace left 'running' reads back with, and is closed with (recoverInterrupted). */
export const INTERRUPTED_ERROR = 'the recording process was killed before the run ended; the trace holds every event committed until then';

/**
 * A recorded run's summary, the one place it is built from a trace (`openRun`, `sva-lab summary`,
 * a run whose worker died). A trace still marked 'running' that nobody records was left so by a
 * recording process that was killed: it is reported interrupted, with every committed event.
 */
export function summaryOf(r: TraceReader, opts: SummaryOptions): Summary {
  const m = r.meta();
  if (m.model === OBSERVED) return observedSummary(r, opts);
  const abandoned = m.status === 'running' && !opts.live;
  return {
    scenario: m.scenario,
    params: m.params as Summary['params'],
    seed: m.seed,
    model: designOf(m.params),
    modelVersion: m.modelVersion,
    status: m.status === 'running' ? (abandoned ? 'interrupted' : 'complete') : m.status,
    error: abandoned ? INTERRUPTED_ERROR : m.error,
    endReason: m.endReason ?? m.status,
    // Recomputed from the recorded params (a pure function of them).
    warnings: runWarnings(m.scenario, m.params as Summary['params']),
    events: r.countRows(),
    endTimeNs: m.endTimeNs,
    digest: m.digest ?? '',
    metrics: opts.recompute ? r.recomputeMetrics() : (m.metrics ?? r.recomputeMetrics()),
  };
}

/**
 * An observed run's summary: what the log showed. Its metrics are recomputed like a model run's
 * (the same fold over the same kinds of events), with `notObservable` naming those a log cannot give.
 */
function observedSummary(r: TraceReader, opts: SummaryOptions): Summary {
  const m = r.meta();
  const p = m.params as unknown as ObservedParams;
  const stored = m.metrics as (Record<string, unknown> | null);
  const reports = { lockdep: Number(stored?.lockdepReports ?? 0), might_sleep: Number(stored?.mightSleepReports ?? 0) };
  const { metrics, notObservable } = observedMetrics(opts.recompute || !m.metrics ? r.recomputeMetrics() : m.metrics, p.format, reports);
  return {
    scenario: m.scenario,
    params: m.params as Summary['params'],
    seed: m.seed,
    model: OBSERVED,
    modelVersion: m.modelVersion,
    status: m.status === 'running' ? 'failed' : m.status,
    error: m.error,
    endReason: m.endReason ?? 'observed',
    warnings: [],
    events: r.countRows(),
    endTimeNs: m.endTimeNs,
    digest: m.digest ?? '',
    metrics,
    notObservable,
    observed: { source: p.source, format: p.format, clock: p.clock, origin: p.origin, lines: p.lines, reports: p.reports },
  };
}
