import type { Ns } from '../../../main/contract';

/** Replay speeds: virtual time per wall-clock time, ×0.001 … ×1000, or one event per tick. */
export type ReplaySpeed = number | 'events';

export const REPLAY_SPEEDS: readonly { value: ReplaySpeed; label: string }[] = [
  { value: 0.001, label: '×0.001' },
  { value: 0.01, label: '×0.01' },
  { value: 0.1, label: '×0.1' },
  { value: 1, label: '×1' },
  { value: 10, label: '×10' },
  { value: 100, label: '×100' },
  { value: 1000, label: '×1000' },
  { value: 'events', label: 'event by event' },
];

/** Wall-clock ms between two steps of an event-by-event replay. */
export const EVENT_STEP_MS = 250;

/**
 * Where the replay cursor is after `dtMs` of wall-clock time at `speed` (virtual per wall time),
 * and whether it has reached the end of the run.
 */
export function advance(tNs: Ns, dtMs: number, speed: number, endNs: Ns): { tNs: Ns; ended: boolean } {
  const next = tNs + Math.max(0, dtMs) * 1e6 * speed;
  return next >= endNs ? { tNs: endNs, ended: true } : { tNs: next, ended: false };
}
