import { KINDS } from '../sim/events';
import type { EventRow } from './rows';
import { LOD_KINDS, LOD_LANE, LOD_OTHER_KIND, ROLE_BIT } from './schema';
import type { WindowBucket, WindowEvent, WindowSpan, WindowTrack } from './window_read';

/**
 * The pure halves of a window read, shared by window_read.ts (over SQL) and the renderer's test
 * fake (over events in memory): folding raw events per pixel, and a spans row as a WindowSpan.
 * No node, no SQLite here.
 */

/** Up to this many events in a range, a window reads raw events instead of level-of-detail buckets. */
export const WINDOW_RAW_MAX = 4096;

const ROLE_BITS = KINDS.map((k) => ROLE_BIT[k.role]);

/**
 * Raw events of a range (in seq order) into their tracks: one event alone in its pixel of its lane
 * stays an event; more than one fold into a bucket (a lane, as in the LOD tables: a counter, state
 * or marker kind, or the actor's other events together; schema.ts LOD_LANE). `track` gives an actor's track, or null to leave it out.
 */
export function foldEvents(rows: Iterable<EventRow>, fromNs: number, pxNs: number, track: (id: number) => WindowTrack | null): void {
  const perPx = new Map<number, { px: number; k: number; single: WindowEvent | null; bucket: WindowBucket | null }>();
  for (const r of rows) {
    const t = track(r[3]);
    if (!t) continue;
    const px = Math.floor((r[1] - fromNs) / pxNs);
    const lane = r[3] * LOD_KINDS + LOD_LANE[r[2]];
    let c = perPx.get(lane);
    if (!c || c.px !== px) perPx.set(lane, (c = { px, k: 0, single: null, bucket: null }));
    c.k++;
    if (c.k === 1) {
      c.single = { seq: r[0], t: r[1], kind: r[2], a: r[5], b: r[6] };
      t.events.push(c.single);
    } else if (c.bucket === null) {
      // A second event in this pixel of this lane: both become one bucket (the first is
      // among the track's last events: other lanes' events may have come after it).
      const e = c.single as WindowEvent;
      t.events.splice(t.events.lastIndexOf(e), 1);
      c.bucket = { t0: fromNs + px * pxNs, t1: fromNs + (px + 1) * pxNs, n: 2, firstSeq: e.seq, lastSeq: r[0], vmin: Math.min(e.a, r[5]), vmax: Math.max(e.a, r[5]), vlast: r[5], roles: ROLE_BITS[e.kind] | ROLE_BITS[r[2]], kind: LOD_LANE[r[2]] === LOD_OTHER_KIND ? null : r[2] };
      t.buckets.push(c.bucket);
    } else {
      const b = c.bucket;
      b.n++;
      b.lastSeq = r[0];
      b.roles |= ROLE_BITS[r[2]];
      b.vlast = r[5];
      if (r[5] < (b.vmin as number)) b.vmin = r[5];
      if (r[5] > (b.vmax as number)) b.vmax = r[5];
    }
  }
}

/**
 * A `spans` row as a WindowSpan. A blocked span's name is stored as '<S or D> <what it waits on>'
 * (schema.ts); it comes apart here, once: `state` S or D, `name` what the task waits on.
 */
export function windowSpan(t0: number, t1: number, cat: string, stored: string, holder: number | null, beginSeq: number, endSeq: number | null): WindowSpan {
  let name = stored;
  let state: string | null = null;
  if (cat === 'blocked') {
    const sp = stored.indexOf(' ');
    state = sp < 0 ? stored : stored.slice(0, sp);
    name = sp < 0 ? '' : stored.slice(sp + 1);
  }
  return { t0, t1, cat, name, state, holder, beginSeq, endSeq };
}

/** A new, empty track of a window. */
export function emptyTrack(actor: number, name: string, track: WindowTrack['track']): WindowTrack {
  return { actor, name, track, buckets: [], events: [], spans: [] };
}
