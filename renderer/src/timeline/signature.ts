import type { Ns } from '../../../main/contract';
import type { LaneFrame } from './frame';

/**
 * What one lane shows in [fromNs, toNs], as a string that does not depend on where the window's
 * tiles fall: the kinds of its point events with their counts, the spans by name, the states in
 * order. Two runs' lanes differ in the window where their signatures differ.
 */
export function laneSignature(f: LaneFrame | undefined, view: { fromNs: Ns; toNs: Ns }): string {
  if (!f) return '';
  const inView = (t0: Ns, t1: Ns | null) => t0 <= view.toNs && (t1 ?? Infinity) >= view.fromNs;
  const kinds = new Map<string, number>();
  for (const e of f.instants) if (e.t >= view.fromNs && e.t <= view.toNs) kinds.set(e.kind, (kinds.get(e.kind) ?? 0) + e.count);
  const spans = new Map<string, number>();
  for (const s of f.spans) if (inView(s.t0, s.t1)) spans.set(s.name, (spans.get(s.name) ?? 0) + s.count);
  const states: string[] = [];
  for (const s of f.states) if (inView(s.t0, s.t1) && states[states.length - 1] !== s.state) states.push(s.state);
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([k, n]) => `${k}×${n}`).join(',');
  return `i:${sorted(kinds)}|s:${sorted(spans)}|t:${states.join('')}`;
}
