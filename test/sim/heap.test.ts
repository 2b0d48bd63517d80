import { describe, expect, it } from 'vitest';
import { EventHeap, type HeapEntry } from '../../main/sim/heap';
import { Rng } from '../../main/sim/rng';

const entry = (t: number, prio: number, seq: number): HeapEntry => ({ t, prio, seq, background: false, live: true, run: () => undefined, cause: 0 });

describe('EventHeap', () => {
  it('orders by time, then priority, then insertion (FIFO at equal keys)', () => {
    const h = new EventHeap();
    const rng = new Rng(3, 'test');
    const all: HeapEntry[] = [];
    for (let i = 0; i < 2000; i++) {
      const e = entry(rng.int(0, 20), rng.int(0, 2), i);
      all.push(e);
      h.push(e);
    }
    const out: HeapEntry[] = [];
    for (let e = h.pop(); e; e = h.pop()) out.push(e);
    const expected = [...all].sort((a, b) => a.t - b.t || a.prio - b.prio || a.seq - b.seq);
    expect(out.map((e) => e.seq)).toEqual(expected.map((e) => e.seq));
  });

  it('keeps equal (t, prio) entries in insertion order', () => {
    const h = new EventHeap();
    for (let i = 0; i < 100; i++) h.push(entry(5, 1, i));
    const seqs: number[] = [];
    for (let e = h.pop(); e; e = h.pop()) seqs.push(e.seq);
    expect(seqs).toEqual([...Array(100).keys()]);
  });
});

describe('Rng', () => {
  it('is reproducible per (seed, stream) and independent across streams', () => {
    const a = new Rng(42, 'device');
    const b = new Rng(42, 'device');
    const c = new Rng(42, 'workload');
    const xa = Array.from({ length: 5 }, () => a.u32());
    expect(Array.from({ length: 5 }, () => b.u32())).toEqual(xa);
    expect(Array.from({ length: 5 }, () => c.u32())).not.toEqual(xa);
    const f = new Rng(1, 'x');
    for (let i = 0; i < 1000; i++) {
      const v = f.float();
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(1);
    }
  });
});
