import { describe, expect, it } from 'vitest';
import { formatNs, niceStep, tickLabel, ticks } from '../../../renderer/src/timeline/time';

describe('formatNs', () => {
  it('picks the unit that suits the magnitude', () => {
    expect(formatNs(0)).toBe('0 ns');
    expect(formatNs(750)).toBe('750 ns');
    expect(formatNs(1500)).toBe('1.5 µs');
    expect(formatNs(13_107_000)).toBe('13.107 ms');
    expect(formatNs(60_000_000_000)).toBe('60 s');
    expect(formatNs(285_632_100, 6)).toBe('285.6321 ms');
  });
  it('says never for null (a metric that never happened)', () => {
    expect(formatNs(null)).toBe('never');
  });
});

describe('ticks', () => {
  it('steps 1, 2 or 5 times a power of ten', () => {
    expect(niceStep(3)).toBe(5);
    expect(niceStep(11)).toBe(20);
    expect(niceStep(4_000_000)).toBe(5_000_000);
  });
  it('labels a 60 s run in seconds and a 2 µs window in ns', () => {
    const s = ticks(0, 60e9, 1200);
    expect(s.step).toBe(5e9);
    expect(s.times[0]).toBe(0);
    expect(tickLabel(s.times[2], s.step)).toBe('10 s');
    const ns = ticks(285_632_000, 285_634_000, 1000);
    expect(ns.step).toBe(200);
    expect(tickLabel(ns.times[0], ns.step)).toMatch(/ ms$/);
    expect(tickLabel(285_632_200, 200)).toBe('285.6322 ms');
    // On one ruler every tick has the view's unit, even the one at 0.
    expect(tickLabel(0, 5e9, 60e9)).toBe('0 s');
    expect(tickLabel(500, 500, 2000)).toBe('0.5 µs');
  });
  it('uses ms with decimals when the step is below a millisecond', () => {
    expect(tickLabel(13_500_000, 500_000)).toBe('13.5 ms');
  });
  it('gives no ticks for an empty range', () => {
    expect(ticks(5, 5, 100).times).toEqual([]);
  });
});
