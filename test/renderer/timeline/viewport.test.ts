import { describe, expect, it } from 'vitest';
import { clampView, fitView, MIN_SPAN_NS, panBy, revealTime, timeAt, zoomAt } from '../../../renderer/src/timeline/viewport';

describe('viewport', () => {
  it('zooms at the pointer: the time under it stays under it', () => {
    const v = { fromNs: 0, toNs: 1000 };
    const anchor = 250;
    const z = zoomAt(v, 0.5, anchor);
    expect(z.toNs - z.fromNs).toBe(500);
    // The anchor is still a quarter of the way across.
    expect((anchor - z.fromNs) / (z.toNs - z.fromNs)).toBeCloseTo(0.25);
    expect(timeAt(z, 250, 1000)).toBeCloseTo(anchor);
  });
  it('never zooms in past MIN_SPAN_NS', () => {
    const z = zoomAt({ fromNs: 0, toNs: 100 }, 0.001, 50);
    expect(z.toNs - z.fromNs).toBe(MIN_SPAN_NS);
  });
  it('keeps a pan inside the run (with a small margin)', () => {
    const c = clampView(panBy({ fromNs: 0, toNs: 1e9 }, 50e9), 0, 10e9);
    expect(c.toNs).toBeLessThanOrEqual(10e9 * 1.02 + 1);
    expect(c.toNs - c.fromNs).toBe(1e9);
  });
  it('fit shows the whole run', () => {
    const f = fitView(0, 60e9);
    expect(f.fromNs).toBeLessThanOrEqual(0);
    expect(f.toNs).toBeGreaterThanOrEqual(60e9);
  });
  it('reveals a time outside the view by panning, not zooming', () => {
    const v = { fromNs: 0, toNs: 100 };
    expect(revealTime(v, 50)).toBe(v);
    const r = revealTime(v, 300);
    expect(r.toNs - r.fromNs).toBe(100);
    expect(r.fromNs).toBeLessThan(300);
    expect(r.toNs).toBeGreaterThan(300);
  });
});
