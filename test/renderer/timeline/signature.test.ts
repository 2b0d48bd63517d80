import { describe, expect, it } from 'vitest';
import type { LaneFrame } from '../../../renderer/src/timeline/frame';
import { laneSignature } from '../../../renderer/src/timeline/signature';

const frame = (p: Partial<LaneFrame>): LaneFrame => ({ spans: [], states: [], instants: [], counters: new Map(), ...p });
const view = { fromNs: 0, toNs: 1000 };

describe('lane signature', () => {
  it('is the same for lanes that show the same kinds of thing, however the buckets fell', () => {
    const a = frame({ instants: [{ t: 10, kind: 'dma_tx', count: 40, seq: 1 }], states: [{ t0: 0, t1: 500, state: 'S', label: null }, { t0: 500, t1: null, state: 'R', label: null }] });
    const b = frame({ instants: [{ t: 12, kind: 'dma_tx', count: 3, seq: 9 }, { t: 600, kind: 'dma_tx', count: 38, seq: 30 }], states: [{ t0: 0, t1: 480, state: 'S', label: null }, { t0: 480, t1: null, state: 'R', label: null }] });
    expect(laneSignature(a, view)).toBe(laneSignature(b, view));
  });

  it('differs where a decisive event happens more often, a span is there or the states go another way', () => {
    const one = frame({ instants: [{ t: 10, kind: 'oom_kill', count: 1, seq: 5 }] });
    const two = frame({ instants: [{ t: 10, kind: 'oom_kill', count: 1, seq: 5 }, { t: 90, kind: 'oom_kill', count: 1, seq: 70 }] });
    expect(laneSignature(one, view)).not.toBe(laneSignature(two, view));
    const rel = frame({ spans: [{ t0: 10, t1: 900, name: 'release()', depth: 0, count: 1 }] });
    expect(laneSignature(rel, view)).not.toBe(laneSignature(frame({}), view));
    const d = frame({ states: [{ t0: 0, t1: null, state: 'D', label: null }] });
    const s = frame({ states: [{ t0: 0, t1: null, state: 'S', label: null }] });
    expect(laneSignature(d, view)).not.toBe(laneSignature(s, view));
  });

  it('looks only at the visible window', () => {
    const late = frame({ instants: [{ t: 5000, kind: 'oom_kill', count: 1, seq: 5 }] });
    expect(laneSignature(late, view)).toBe(laneSignature(frame({}), view));
    expect(laneSignature(undefined, view)).toBe('');
  });
});
