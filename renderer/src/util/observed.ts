import type { Metrics } from '../../../main/contract';
import { formatNs } from '../timeline/time';
import type { MetricCard } from './metrics';

/**
 * The metric cards of an observed run (a kernel log): what a log shows (OOM kills, reaps, panics,
 * hung tasks, faults printed), never the model's inner state it cannot show (`notObservable`).
 */
export function observedCards(m: Metrics, notObservable: readonly string[]): MetricCard[] {
  const hidden = new Set(notObservable);
  const n = (k: keyof Metrics) => Number(m[k] ?? 0);
  const cards: MetricCard[] = [
    { key: 'oomVictims', title: 'OOM victims', value: String(m.oomVictims), detail: m.triggerNs === null ? null : `first kill at ${formatNs(m.triggerNs)} on the log's clock`, alarm: false },
    { key: 'oomReaped', title: 'reaped', value: String(m.oomReaped), detail: 'oom_reaper: reaped process', alarm: false },
    { key: 'oomReapFailed', title: 'reaps failed', value: String(m.oomReapFailed), detail: 'oom_reaper: unable to reap', alarm: m.oomReapFailed > 0 },
    { key: 'panics', title: 'panics', value: String(m.panics), detail: null, alarm: m.panics > 0 },
    { key: 'hungTaskReports', title: 'hung-task reports', value: String(m.hungTaskReports), detail: null, alarm: m.hungTaskReports > 0 },
    { key: 'faultsPrinted', title: 'faults printed', value: String(m.faultsPrinted), detail: `reported errors: ${m.reportedErrors}`, alarm: m.faultsPrinted > 0 },
  ];
  // The lockdep helper's report counts, where this build has them.
  for (const [k, title] of [['lockdepReports', 'lockdep reports'], ['mightSleepReports', 'might_sleep reports']] as const) {
    if (k in m) cards.push({ key: k as keyof Metrics, title, value: String(n(k as keyof Metrics)), detail: null, alarm: n(k as keyof Metrics) > 0 });
  }
  return cards.filter((c) => !hidden.has(c.key));
}
