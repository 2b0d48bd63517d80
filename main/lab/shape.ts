import type { EventQuery, Ns, RunId, RunInfo, RunListItem, RunStatus, TrackDto } from '../contract';
import { KIND } from '../sim/events';
import type { Summary } from '../sim/run';
import { findScenario } from '../sim/scenarios/index';
import { UserError } from './errors';

/**
 * The lab's answers that are built from values rather than read: each in one function, pure (no
 * node:*, no SQLite), so views.ts and archive.ts and the renderer's test fake build them alike.
 */

/** The parameters that tell runs of a scenario apart (the archive list's): not the model's costs. */
export function listedParams(scenario: string, params: Record<string, unknown>): RunListItem['params'] {
  const sc = findScenario(scenario);
  const keys = new Set((sc?.params ?? []).filter((p) => p.group !== 'cost').map((p) => p.key));
  return Object.fromEntries(Object.entries(params).filter(([k]) => keys.has(k) || !sc)) as RunListItem['params'];
}

/** Everything the run view needs to start, from the run's summary and lanes (a model run starts at 0; an observed run at its log's first line). */
export function runInfo(id: RunId, summary: Summary, status: RunStatus, created: string, tracks: TrackDto[], endTimeNs: Ns, startNs: Ns = 0): Omit<RunInfo, 'alarms' | 'groups' | 'density'> {
  return { id, summary, status, created, tracks, startNs, endNs: Math.max(1, endTimeNs), triggerNs: summary.metrics.triggerNs };
}

/** A window's time range, or a UserError saying what a valid one is. */
export function checkWindowRange(fromNs: Ns, toNs: Ns): void {
  if (!(toNs > fromNs)) throw new UserError(`A window needs fromNs < toNs; got ${fromNs}..${toNs}.`);
}

/**
 * The seqs [first, last] an event list asks for, in a run of `lastSeq` events: `before` and `after`
 * around `aroundSeq`, or around the last event at or before `atNs` (the first event if none); null
 * for an empty run.
 */
export function eventRange(q: EventQuery, lastSeq: number, seqAtOrBefore: (t: Ns) => number): [number, number] | null {
  if (lastSeq === 0) return null;
  const centre = q.aroundSeq ?? Math.min(lastSeq, seqAtOrBefore(q.atNs ?? 0) || 1);
  return [Math.max(1, centre - q.before), Math.min(lastSeq, centre + q.after)];
}

/** The seq one step from `seq` (dir 1 or -1), or null past either end of a run of `lastSeq` events. */
export function stepSeq(seq: number, dir: 1 | -1, lastSeq: number): number | null {
  const next = seq + dir;
  return next < 1 || next > lastSeq ? null : next;
}

/** The id of event kind `kind` (a name such as oom_kill), or a UserError naming valid ones. */
export function kindId(kind: string): number {
  const k = Object.hasOwn(KIND, kind) ? (KIND as Record<string, number>)[kind] : undefined;
  if (k === undefined) throw new UserError(`Unknown event kind '${kind}'; valid kinds include trigger, oom_kill, release_begin, deadlock, hung_task.`);
  return k;
}
