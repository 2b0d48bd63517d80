import type { NamedEvent, TraceReader } from './reader';

/** Where two event streams first differ: the seq and time, and each side's event there (null past its end). */
export interface Divergence {
  seq: number;
  t_ns: number;
  a: NamedEvent | null;
  b: NamedEvent | null;
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
  ra.actors();
  rb.actors();
  const ia = ra.rows();
  const ib = rb.rows();
  try {
    for (;;) {
      const x = ia.next();
      const y = ib.next();
      if (x.done && y.done) return null;
      if (x.done || y.done) {
        const other = x.done ? rb.named(y.value as never) : ra.named(x.value as never);
        return { seq: other.seq, t_ns: other.t_ns, a: x.done ? null : other, b: y.done ? null : other };
      }
      const p = x.value;
      const q = y.value;
      if (
        p[1] !== q[1] || p[2] !== q[2] || p[4] !== q[4] || p[5] !== q[5] || p[6] !== q[6] || p[7] !== q[7] ||
        ra.actor(p[3])?.name !== rb.actor(q[3])?.name
      ) {
        return { seq: p[0], t_ns: Math.min(p[1], q[1]), a: ra.named(p), b: rb.named(q) };
      }
    }
  } finally {
    ia.return(undefined);
    ib.return(undefined);
  }
}
