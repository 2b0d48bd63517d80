import type { Ns } from './time';

/**
 * One scheduled occurrence. Ordered by (t, background, prio, seq): at equal times foreground entries
 * run before background ones (daemons), then by priority, then FIFO.
 */
export interface HeapEntry {
  t: Ns;
  prio: number;
  seq: number;
  /** A daemon's entry (khungtaskd's timer): it does not keep a run alive and runs last at its time. */
  background: boolean;
  /** Set to false to cancel without an O(n) removal; the engine skips dead entries. */
  live: boolean;
  run: () => void;
  /** seq of the trace event that scheduled this entry (the "why" chain). */
  cause: number;
}

function less(a: HeapEntry, b: HeapEntry): boolean {
  if (a.t !== b.t) return a.t < b.t;
  if (a.background !== b.background) return b.background;
  if (a.prio !== b.prio) return a.prio < b.prio;
  return a.seq < b.seq;
}

/** Binary min-heap keyed (t, background, prio, seq). seq is unique, so the order is total and stable. */
export class EventHeap {
  private a: HeapEntry[] = [];

  get size(): number {
    return this.a.length;
  }

  peek(): HeapEntry | undefined {
    return this.a[0];
  }

  push(e: HeapEntry): void {
    const a = this.a;
    let i = a.length;
    a.push(e);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pe = a[p];
      if (!less(e, pe)) break;
      a[i] = pe;
      i = p;
    }
    a[i] = e;
  }

  pop(): HeapEntry | undefined {
    const a = this.a;
    const n = a.length;
    if (n === 0) return undefined;
    const top = a[0];
    const last = a.pop() as HeapEntry;
    if (n > 1) {
      const m = n - 1;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= m) break;
        const r = l + 1;
        const c = r < m && less(a[r], a[l]) ? r : l;
        if (!less(a[c], last)) break;
        a[i] = a[c];
        i = c;
      }
      a[i] = last;
    }
    return top;
  }
}
