import type { EventRowDto } from '../contract';
import { KINDS } from '../sim/events';
import { describeEvent } from './describe';

/** A raw events row: [seq, t_ns, kind, actor, cause_seq, a, b, args]. */
export type EventRow = [number, number, number, number, number, number, number, string | null];

/** The name of kind id `k` (ids index KINDS; a trace stores the same table). */
export function kindName(k: number): string {
  return KINDS[k]?.name ?? `#${k}`;
}

/** Parse an event's args (compact JSON); text that is not JSON comes back as `{ raw }`. */
export function parseArgs(args: string | null): Record<string, unknown> | null {
  if (args === null) return null;
  try {
    const v = JSON.parse(args) as unknown;
    return v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : { value: v };
  } catch {
    return { raw: args };
  }
}

/**
 * An event as the contract shapes it (EventRowDto), with its one-line description. `name` gives
 * an actor's name by id (for the event's own actor and the actors its a or b carry).
 */
export function eventRow(r: EventRow, name: (actor: number) => string): EventRowDto {
  const kind = kindName(r[2]);
  const actor = name(r[3]);
  const args = parseArgs(r[7]);
  return { seq: r[0], tNs: r[1], kind, actor, actorId: r[3], causeSeq: r[4], a: r[5], b: r[6], args, text: describeEvent(kind, actor, r[5], r[6], args, name) };
}

/** Event `seq` and its causes, newest first, up to the scenario's first event (at most `max`; a cycle ends the walk). */
export function walkCauses(seq: number, eventAt: (seq: number) => EventRowDto | null, max = 500): EventRowDto[] {
  const out: EventRowDto[] = [];
  const seen = new Set<number>();
  for (let s = seq; s > 0 && out.length < max && !seen.has(s); ) {
    seen.add(s);
    const e = eventAt(s);
    if (!e) break;
    out.push(e);
    s = e.causeSeq;
  }
  return out;
}
