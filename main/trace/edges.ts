import type { TraceDb } from './db';
import { EDGES_FORMAT_VERSION } from './schema';

/** A causal edge from one event (main/sim/causes.ts): `to`, the relation and its args (JSON or null). */
export interface EdgeRow {
  to: number;
  rel: string;
  args: string | null;
}

/** The edges from event `seq`, in the order recorded; none in a format 3 trace. One indexed lookup. */
export function edgesFrom(db: TraceDb, formatVersion: number, seq: number): EdgeRow[] {
  if (formatVersion < EDGES_FORMAT_VERSION) return [];
  return db.guard(() => db.stmt('SELECT to_seq AS "to", rel, args FROM edges WHERE from_seq = ? ORDER BY rowid').all(seq)) as EdgeRow[];
}

/**
 * Every edge with both ends' time, actor and kind, streamed (for exports): [from_seq, to_seq, rel,
 * from t_ns, from actor, from kind, to t_ns, to actor, to kind]. None in a format 3 trace.
 */
export function* edgeRows(db: TraceDb, formatVersion: number): Generator<[number, number, string, number, number, number, number, number, number]> {
  if (formatVersion < EDGES_FORMAT_VERSION) return;
  yield* db.iterate(
    'SELECT g.from_seq, g.to_seq, g.rel, a.t_ns, a.actor, a.kind, b.t_ns, b.actor, b.kind FROM edges g JOIN events a ON a.seq = g.from_seq JOIN events b ON b.seq = g.to_seq ORDER BY g.rowid',
  );
}
