import type { EventRowDto } from '../contract';
import type { TraceReader } from './reader';
import type { EventRow } from './rows';

/** Where two event streams first differ: the seq and time, and each side's event there (null past its end). */
export interface Divergence {
  seq: number;
  tNs: number;
  a: EventRowDto | null;
  b: EventRowDto | null;
}

/** Do two raw rows differ (time, kind, cause, a, b, args, or the actor's name)? */
export function rowsDiffer(p: EventRow, actorP: string, q: EventRow, actorQ: string): boolean {
  return p[1] !== q[1] || p[2] !== q[2] || p[4] !== q[4] || p[5] !== q[5] || p[6] !== q[6] || p[7] !== q[7] || actorP !== actorQ;
}

/**
 * Walk two traces in seq order and return the first event that differs (time, kind, actor name,
 * cause, a, b, args), or null when the streams are identical. Equal digests and counts are
 * taken as identical without a scan.
 */
export function firstDivergence(ra: TraceReader, rb: TraceReader): Divergence | null {
  const ma = ra.meta();
  const mb = rb.meta();
  if (ma.digest && ma.digest === mb.digest && ma.events === mb.events && ra.countRows() === rb.countRows()) return null;
  const ia = ra.rows();
  const ib = rb.rows();
  try {
    for (;;) {
      const x = ia.next();
      const y = ib.next();
      if (x.done && y.done) return null;
      if (x.done || y.done) {
        const other = x.done ? rb.row(y.value as EventRow) : ra.row(x.value as EventRow);
        return { seq: other.seq, tNs: other.tNs, a: x.done ? null : other, b: y.done ? null : other };
      }
      const p = x.value;
      const q = y.value;
      if (rowsDiffer(p, ra.actorName(p[3]), q, rb.actorName(q[3]))) return { seq: p[0], tNs: Math.min(p[1], q[1]), a: ra.row(p), b: rb.row(q) };
    }
  } finally {
    ia.return(undefined);
    ib.return(undefined);
  }
}
