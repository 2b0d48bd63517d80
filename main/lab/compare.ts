import type { CompareDto, DivergenceDto, EventRowDto, MetricDiffDto, RunId } from '../contract';
import type { Metrics } from '../sim/metrics';
import { METRIC_DOCS } from '../sim/metrics';
import { firstDivergence, type Divergence } from '../trace/diverge';
import type { Readers } from './readers';
import { flattenMetrics } from './sweeps/grid';

/** The order of the diff table: what the seed commit argues about first. */
const METRIC_ORDER = [
  'releaseLatencyNs', 'releaseUnfinished', 'innocentVictims', 'oomVictims', 'memoryFreedNs', 'oomSkipSetNs', 'lockups', 'hungTaskReports', 'lockdepReports', 'mightSleepReports',
  'abortedTransactions', 'atsNoTranslation', 'priInvalidResponses', 'faultsPrinted', 'reportedErrors', 'strayTransactions', 'pasidFreedNs',
  'pasidsPeak', 'pasidAllocFailures', 'pasidsHeldByDeadMmsPeak',
];

function metricRank(name: string): number {
  const base = name.split('.')[0];
  const i = METRIC_ORDER.indexOf(base);
  const sub = name === 'releaseLatencyNs.max' ? 0 : name === 'releaseLatencyNs.p50' ? 1 : 2;
  return (i < 0 ? METRIC_ORDER.length : i) * 10 + sub;
}

function diffDto(name: string, x: number | null, y: number | null): MetricDiffDto {
  let direction: MetricDiffDto['direction'];
  if (x === null && y === null) direction = 'none';
  else if (x === null) direction = 'appeared';
  else if (y === null) direction = 'vanished';
  else direction = y > x ? 'up' : y < x ? 'down' : 'same';
  const doc = (METRIC_DOCS as Record<string, string>)[name.split('.')[0]] ?? '';
  return { name, a: x, b: y, delta: x !== null && y !== null ? y - x : null, ratio: x !== null && y !== null && x !== 0 ? y / x : null, direction, doc };
}

/** Every metric of A and B, flattened (`releaseLatencyNs.max`), in the diff table's order; `triggerNs` (an absolute time) left out. */
export function metricDiff(ma: Metrics, mb: Metrics): MetricDiffDto[] {
  const fa = flattenMetrics(ma);
  const fb = flattenMetrics(mb);
  return [...new Set([...Object.keys(fa), ...Object.keys(fb)])]
    .filter((name) => name !== 'triggerNs')
    .map((name) => diffDto(name, fa[name] ?? null, fb[name] ?? null))
    .sort((x, y) => metricRank(x.name) - metricRank(y.name));
}

/** A sentence saying how two events differ. */
export function explainDivergence(a: EventRowDto | null, b: EventRowDto | null): string {
  if (!a && !b) return 'The streams end together.';
  if (!a) return `Run A has ended; run B goes on: ${b!.text}.`;
  if (!b) return `Run B has ended; run A goes on: ${a.text}.`;
  if (a.tNs !== b.tNs && a.kind === b.kind && a.actor === b.actor) return `The same event happens at different times: ${a.text} (A at ${a.tNs} ns, B at ${b.tNs} ns).`;
  return `A: ${a.text} — B: ${b.text}.`;
}

/** A divergence with its sentence. */
export function divergenceDto(d: Divergence | null): DivergenceDto | null {
  return d ? { ...d, explanation: explainDivergence(d.a, d.b) } : null;
}

/** Metric diff (B against A) and the first event where the two runs differ. */
export function compareRuns(readers: Readers, a: RunId, b: RunId): CompareDto {
  return readers.with(a, (ra) =>
    readers.with(b, (rb) => {
      const ma = ra.meta().metrics ?? ra.recomputeMetrics();
      const mb = rb.meta().metrics ?? rb.recomputeMetrics();
      return { a, b, metrics: metricDiff(ma, mb), firstDivergence: divergenceDto(firstDivergence(ra, rb)) };
    }),
  );
}
