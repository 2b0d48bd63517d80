import { describe, expect, it } from 'vitest';
import { alignedBounds, alignPoint, clampAligned, isAlignKind, ownView, toAligned, toOwn } from '../../../renderer/src/util/align';

const info = (startNs: number, endNs: number, triggerNs: number | null) => ({ startNs, endNs, triggerNs });

describe('alignment', () => {
  it('aligns at the first event of the kind, at the start, or falls back to the start when a run has none', () => {
    expect(alignPoint('oom_kill', info(0, 10, 3), { tNs: 7, seq: 42 })).toEqual({ originNs: 7, seq: 42, found: true });
    expect(alignPoint('start', info(5, 10, 3), { tNs: 7, seq: 42 })).toEqual({ originNs: 5, seq: null, found: true });
    expect(alignPoint('deadlock', info(2, 10, 3), null)).toEqual({ originNs: 2, seq: null, found: false });
    // The trigger is known from the run's info even without a trigger event.
    expect(alignPoint('trigger', info(0, 10, 3), null)).toEqual({ originNs: 3, seq: null, found: true });
    expect(alignPoint('trigger', info(0, 10, null), null)).toEqual({ originNs: 0, seq: null, found: false });
  });

  it('maps the shared axis to each run and back: a run aligned later sees the same view shifted', () => {
    const originA = 285_632_000;
    const originB = 300_000_000;
    const shared = { fromNs: -1_000_000, toNs: 4_000_000 };
    expect(ownView(shared, originA)).toEqual({ fromNs: 284_632_000, toNs: 289_632_000 });
    expect(ownView(shared, originB)).toEqual({ fromNs: 299_000_000, toNs: 304_000_000 });
    // The first OOM kill of A and of B sit at the same place on the shared axis: 0.
    expect(toAligned(originA, originA)).toBe(0);
    expect(toAligned(originB, originB)).toBe(0);
    expect(toOwn(toAligned(123_456, originB), originB)).toBe(123_456);
  });

  it('spans both runs on the aligned axis, and clamps the view to it', () => {
    const b = alignedBounds({ startNs: 0, endNs: 5_000 }, 1_000, { startNs: 0, endNs: 2_000 }, 200);
    expect(b).toEqual({ startNs: -1_000, endNs: 4_000 });
    const v = clampAligned({ fromNs: -1e9, toNs: 1e9 }, b);
    expect(v.fromNs).toBeLessThanOrEqual(-1_000);
    expect(v.toNs).toBeGreaterThanOrEqual(4_000);
    expect(v.toNs - v.fromNs).toBeLessThan(6_000);
  });

  it('knows its kinds', () => {
    expect(isAlignKind('oom_kill')).toBe(true);
    expect(isAlignKind('release_begin')).toBe(true);
    expect(isAlignKind('nonsense')).toBe(false);
  });
});
