import { runWarnings, type Summary } from '../sim/run';
import { designOf } from '../sim/design';
import type { TraceReader } from '../trace/reader';

/** How to read a summary back from a trace. */
export interface SummaryOptions {
  /** This lab is recording the run right now: a 'running' trace is a run in progress, not an abandoned one. */
  live: boolean;
  /** Fold the recorded events again instead of trusting the metrics the run stored (the command line's `summary`). */
  recompute: boolean;
}

/**
 * A recorded run's summary, the one place it is built from a trace (`openRun`, `sva-lab summary`,
 * a run whose worker died). A trace still marked 'running' that nobody records was left so by a
 * recording process that was killed: it is reported interrupted, with every committed event.
 */
export function summaryOf(r: TraceReader, opts: SummaryOptions): Summary {
  const m = r.meta();
  const abandoned = m.status === 'running' && !opts.live;
  return {
    scenario: m.scenario,
    params: m.params as Summary['params'],
    seed: m.seed,
    model: designOf(m.params),
    modelVersion: m.modelVersion,
    status: m.status === 'running' ? (abandoned ? 'interrupted' : 'complete') : m.status,
    error: abandoned ? 'the recording process was killed before the run ended; the trace holds every event committed until then' : m.error,
    endReason: m.endReason ?? m.status,
    // Recomputed from the recorded params (a pure function of them).
    warnings: runWarnings(m.scenario, m.params as Summary['params']),
    events: r.countRows(),
    endTimeNs: m.endTimeNs,
    digest: m.digest ?? '',
    metrics: opts.recompute ? r.recomputeMetrics() : (m.metrics ?? r.recomputeMetrics()),
  };
}
