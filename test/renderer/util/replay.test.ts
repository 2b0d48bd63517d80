import { describe, expect, it } from 'vitest';
import { advance, REPLAY_SPEEDS } from '../../../renderer/src/util/replay';

describe('replay', () => {
  it('advances virtual time by wall time × speed, and stops at the end of the run', () => {
    expect(advance(0, 16, 1, 1e12)).toEqual({ tNs: 16_000_000, ended: false });
    expect(advance(0, 1000, 0.001, 1e12)).toEqual({ tNs: 1_000_000, ended: false });
    expect(advance(0, 1000, 1000, 1e12)).toEqual({ tNs: 1e12, ended: true });
    expect(advance(5, -3, 1, 100)).toEqual({ tNs: 5, ended: false });
  });

  it('offers ×0.001 to ×1000 and event by event', () => {
    expect(REPLAY_SPEEDS.map((s) => s.label)).toEqual(['×0.001', '×0.01', '×0.1', '×1', '×10', '×100', '×1000', 'event by event']);
  });
});
