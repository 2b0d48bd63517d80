import type { EventRowDto, Ns, RunInfo } from '../../../main/contract';
import { clampView, fitView, type Viewport } from '../timeline/viewport';

/** Where the compare view lines its two runs up: the start, or the first event of a kind. */
export type AlignKind = 'start' | 'trigger' | 'oom_kill' | 'release_begin' | 'mm_freed' | 'deadlock' | 'hung_task';

export const ALIGN_CHOICES: readonly { kind: AlignKind; label: string }[] = [
  { kind: 'trigger', label: 'the trigger (first SIGKILL or OOM kill)' },
  { kind: 'start', label: 'the start of the run' },
  { kind: 'oom_kill', label: 'the first OOM kill' },
  { kind: 'release_begin', label: 'the first release() entry' },
  { kind: 'mm_freed', label: 'the memory freed' },
  { kind: 'deadlock', label: 'the first deadlock' },
  { kind: 'hung_task', label: 'the first hung-task report' },
];

export function isAlignKind(s: string): s is AlignKind {
  return ALIGN_CHOICES.some((c) => c.kind === s);
}

/** One run's alignment point in its own time, and whether the event was there at all. */
export interface AlignPoint {
  originNs: Ns;
  seq: number | null;
  /** False when the run has no such event: it is aligned at its start instead. */
  found: boolean;
}

/**
 * The alignment point of a run for `kind`, given the first such event (`findEvent`), or null if
 * the run has none: then the run is aligned at its start. `trigger` falls back on the run's
 * recorded trigger time when no event of that kind was found.
 */
export function alignPoint(kind: AlignKind, info: Pick<RunInfo, 'startNs' | 'triggerNs'>, first: Pick<EventRowDto, 'tNs' | 'seq'> | null): AlignPoint {
  if (kind === 'start') return { originNs: info.startNs, seq: null, found: true };
  if (first) return { originNs: first.tNs, seq: first.seq, found: true };
  if (kind === 'trigger' && info.triggerNs !== null) return { originNs: info.triggerNs, seq: null, found: true };
  return { originNs: info.startNs, seq: null, found: false };
}

/** A time of the shared (aligned) axis in one run's own time, and back. */
export const toOwn = (alignedNs: Ns, originNs: Ns): Ns => alignedNs + originNs;
export const toAligned = (ownNs: Ns, originNs: Ns): Ns => ownNs - originNs;

/** A shared view in one run's own times. */
export function ownView(v: Viewport, originNs: Ns): Viewport {
  return { fromNs: v.fromNs + originNs, toNs: v.toNs + originNs };
}

/** Both runs on the aligned axis: from the earlier start to the later end. */
export function alignedBounds(a: Pick<RunInfo, 'startNs' | 'endNs'>, originA: Ns, b: Pick<RunInfo, 'startNs' | 'endNs'>, originB: Ns): { startNs: Ns; endNs: Ns } {
  return {
    startNs: Math.min(a.startNs - originA, b.startNs - originB),
    endNs: Math.max(a.endNs - originA, b.endNs - originB),
  };
}

export function fitAligned(bounds: { startNs: Ns; endNs: Ns }): Viewport {
  return fitView(bounds.startNs, bounds.endNs);
}

export function clampAligned(v: Viewport, bounds: { startNs: Ns; endNs: Ns }): Viewport {
  return clampView(v, bounds.startNs, bounds.endNs);
}
