import type { Ns } from '../../../main/contract';
import type { LaneFrame } from './frame';

/**
 * What one lane shows in [fromNs, toNs], as a string that does not depend on where the window's
 * tiles fall: the kinds of its point events, the spans by name, the states in order. Counts stay
 * out: level-of-detail buckets merge events differently when two runs' tiles fall differently, and
 * "the same kinds of thing happen here" is the question. Decisive events (kills, signals, deadlocks)
 * come one by one from the timeline's index, and their number is part of the signature. Two runs' lanes differ where it differs.
 */
const COUNTED = new Set(['oom_kill', 'signal', 'deadlock', 'hung_task', 'oom_none', 'invariant']);

export function laneSignature(f: LaneFrame | undefined, view: { fromNs: Ns; toNs: Ns }): string {
  if (!f) return '';
  const inView = (t0: Ns, t1: Ns | null) => t0 <= view.toNs && (t1 ?? Infinity) >= view.fromNs;
  const kinds = new Set<string>();
  const counted = new Map<string, number>();
  for (const e of f.instants) {
    if (e.t < view.fromNs || e.t > view.toNs) continue;
    // Decisive events are counted: two OOM kills against one is the difference that matters.
    if (COUNTED.has(e.kind)) counted.set(e.kind, (counted.get(e.kind) ?? 0) + e.count);
    else kinds.add(e.kind);
  }
  for (const [k, n] of counted) kinds.add(`${k}×${n}`);
  const spans = new Set<string>();
  for (const s of f.spans) if (inView(s.t0, s.t1)) spans.add(s.name);
  const states: string[] = [];
  for (const s of f.states) if (inView(s.t0, s.t1) && states[states.length - 1] !== s.state) states.push(s.state);
  const sorted = (m: Set<string>) => [...m].sort().join(',');
  return `i:${sorted(kinds)}|s:${sorted(spans)}|t:${states.join('')}`;
}
