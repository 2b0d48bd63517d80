import type { LatencyStats, Metrics } from '../../../main/contract';
import { formatNs } from '../timeline/time';

/** A metric card: what it is called, how its value reads, and whether the value is bad news. */
export interface MetricCard {
  key: keyof Metrics;
  title: string;
  value: string;
  /** A second line (e.g. the median and count under a max). */
  detail: string | null;
  alarm: boolean;
}

function latency(s: LatencyStats): { value: string; detail: string | null } {
  if (s.count === 0 || s.max === null) return { value: 'none returned', detail: null };
  return { value: `max ${formatNs(s.max)}`, detail: `median ${formatNs(s.p50)} · ${s.count} call${s.count === 1 ? '' : 's'}` };
}

const fromTrigger = (ns: number | null) => (ns === null ? 'never' : formatNs(ns));
const AFTER = 'after the trigger';

/**
 * The cards of the run view, release() latency first (the lab's question), then what the OOM
 * killer did, then the device-facing counts. A card is an alarm when the value is the harm the
 * seed commit describes (innocent victims, lockups, a release() that takes seconds or never returns).
 */
export function metricCards(m: Metrics): MetricCard[] {
  const rel = latency(m.releaseLatencyNs);
  const cards: MetricCard[] = [
    {
      key: 'releaseLatencyNs',
      title: 'release() latency',
      value: rel.value,
      detail: m.releaseUnfinished > 0 ? `${m.releaseUnfinished} never returned${rel.detail ? ` · ${rel.detail}` : ''}` : rel.detail,
      alarm: m.releaseUnfinished > 0 || (m.releaseLatencyNs.max ?? 0) >= 100_000_000,
    },
    { key: 'oomVictims', title: 'OOM victims', value: String(m.oomVictims), detail: null, alarm: false },
    { key: 'innocentVictims', title: 'innocent victims', value: String(m.innocentVictims), detail: null, alarm: m.innocentVictims > 0 },
    { key: 'memoryFreedNs', title: 'memory freed', value: fromTrigger(m.memoryFreedNs), detail: m.memoryFreedNs === null ? null : AFTER, alarm: m.memoryFreedNs === null || m.memoryFreedNs >= 1_000_000_000 },
    { key: 'oomSkipSetNs', title: 'MMF_OOM_SKIP set', value: fromTrigger(m.oomSkipSetNs), detail: m.oomSkipSetNs === null ? null : AFTER, alarm: false },
    { key: 'lockups', title: 'lockups', value: String(m.lockups), detail: m.hungTaskReports ? `${m.hungTaskReports} hung-task report${m.hungTaskReports === 1 ? '' : 's'}` : null, alarm: m.lockups > 0 },
    { key: 'lockdepReports', title: 'lockdep reports', value: String(m.lockdepReports ?? 0), detail: m.lockdepReports ? 'possible circular locking dependency' : null, alarm: (m.lockdepReports ?? 0) > 0 },
    { key: 'mightSleepReports', title: 'might_sleep reports', value: String(m.mightSleepReports ?? 0), detail: m.mightSleepReports ? 'sleeping function called from invalid context' : null, alarm: (m.mightSleepReports ?? 0) > 0 },
    { key: 'pasidFreedNs', title: 'PASID freed', value: fromTrigger(m.pasidFreedNs), detail: `${m.pasidFreedNs === null ? '' : `${AFTER} · `}peak ${m.pasidsPeak} allocated`, alarm: false },
    { key: 'abortedTransactions', title: 'aborted DMA', value: String(m.abortedTransactions), detail: `ATS R=W=0: ${m.atsNoTranslation} · PRI Invalid: ${m.priInvalidResponses}`, alarm: false },
    { key: 'faultsPrinted', title: 'faults printed', value: String(m.faultsPrinted), detail: `reported errors: ${m.reportedErrors}`, alarm: m.faultsPrinted > 0 },
    { key: 'strayTransactions', title: 'stray DMA', value: String(m.strayTransactions), detail: null, alarm: m.strayTransactions > 0 },
  ];
  return cards;
}

/** release() latency for the archive list: "5 s" or "never returned" or "—". */
export function releaseSummary(m: Metrics | null): string {
  if (!m) return '—';
  if (m.releaseUnfinished > 0) return 'never returned';
  return m.releaseLatencyNs.max === null ? '—' : formatNs(m.releaseLatencyNs.max);
}
