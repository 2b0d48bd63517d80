import type { TrackType } from '../sim/events';
import type { TraceDb } from './db';
import { TraceFileError } from './errors';
import { decodeLod } from './lod';
import type { ActorInfo } from './meta';
import type { EventRow } from './rows';
import { LOD_ALL_MIN_LEVEL, LOD_ALL_RECORD, LOD_CHUNK, LOD_LEVELS, LOD_OTHER_KIND, LOD_RECORD } from './schema';
import { emptyTrack, foldEvents, WINDOW_RAW_MAX, windowSpan } from './window_fold';

export { WINDOW_RAW_MAX } from './window_fold';

/** spans.lvl = floor(log2(dur)) with dur < 2^63 ns. */
const MAX_SPAN_LVL = 63;

/** A level-of-detail bucket: [t0, t1) in ns, n events, seqs of the first and last, value range and last value (counters, states), role bits. */
export interface WindowBucket {
  t0: number;
  t1: number;
  n: number;
  firstSeq: number;
  lastSeq: number;
  vmin: number | null;
  vmax: number | null;
  vlast: number | null;
  roles: number;
  /** The counter or state kind these buckets are of; null for an actor's other events together. */
  kind: number | null;
}
/** A raw event in a window: its kind as the id (KINDS index). */
export interface WindowEvent {
  seq: number;
  t: number;
  kind: number;
  a: number;
  b: number;
}
/**
 * A `spans` row in a window (see schema.ts for cat, name and holder). A `blocked` span comes apart
 * as it is read (window_fold.ts windowSpan): `state` is the task state (S or D) and `name` what the task waits on;
 * `state` is null for every other span.
 */
export interface WindowSpan {
  t0: number;
  t1: number;
  cat: string;
  name: string;
  state: string | null;
  holder: number | null;
  beginSeq: number;
  endSeq: number | null;
}
export interface WindowTrack {
  actor: number;
  name: string;
  track: TrackType;
  buckets: WindowBucket[];
  events: WindowEvent[];
  spans: WindowSpan[];
}
/** Per-track data for one visible range, `width` pixels wide. `level` is null when raw events were read. */
export interface WindowRange {
  fromNs: number;
  toNs: number;
  width: number;
  pxNs: number;
  level: number | null;
  tracks: WindowTrack[];
}

/** SQL condition: `actor` is one of the ids in a JSON array parameter. */
const ACTOR_IN = 'actor IN (SELECT value FROM json_each(?))';
const RAW = 'SELECT seq, t_ns, kind, actor, cause_seq, a, b, NULL FROM events WHERE seq >= ? AND seq <= ?';
const LOD = 'SELECT actor, kind, width, data FROM lod WHERE level = ? AND chunk BETWEEN ? AND ?';
const SPANS = 'SELECT actor, t0, t1, cat, name, holder, begin_seq, end_seq FROM spans WHERE lvl = ? AND t0 > ? AND t0 <= ? AND t1 >= ?';
type SpanSqlRow = [number, number, number, string, string, number | null, number, number | null];
/** The reads of a window of some lanes (schema.ts: each lane is sought in spans_by_lane and lod_by_lane). */
export const LANE_SQL = { spans: `${SPANS} AND ${ACTOR_IN}`, lod: `${LOD} AND ${ACTOR_IN}` } as const;

/** A window for more lanes than this reads `lod_all` (every lane, one row per chunk) rather than a row per lane. */
const LOD_ALL_MIN_LANES = 256;

/**
 * `bs` (buckets of one track at one level, `w` ns wide) in time order, ties in their given order:
 * what a stable sort by t0 gives, done as a numeric sort of (bucket index, position) keys, which
 * is several times faster than sorting the objects with a comparator.
 */
function sortBuckets(bs: WindowBucket[], w: number): WindowBucket[] {
  const P = 2 ** 21;
  if (bs.length >= P) return bs.sort((x, y) => x.t0 - y.t0);
  const keys = new Float64Array(bs.length);
  for (let i = 0; i < bs.length; i++) keys[i] = Math.round(bs[i].t0 / w) * P + i;
  keys.sort();
  const out = new Array<WindowBucket>(bs.length);
  for (let i = 0; i < keys.length; i++) out[i] = bs[keys[i] % P];
  return out;
}

/**
 * The level-of-detail reads of one trace: per-track data for a view `width` pixels wide over
 * [fromNs, toNs], as read: raw events when the range holds few, else level-of-detail buckets at
 * least a pixel wide, plus the spans at least a pixel long. At most about 2 items per pixel per
 * track. `tracks` limits it to those actor ids.
 */
export class WindowReader {
  private lodAll: boolean | null = null;
  private spanLvlMax: number | null = null;

  constructor(
    private readonly db: TraceDb,
    private readonly actor: (id: number) => ActorInfo | undefined,
    private readonly seqAtOrBefore: (t: number) => number,
  ) {}

  read(fromNs: number, toNs: number, width: number, tracks?: readonly number[]): WindowRange {
    return this.db.guard(() => {
      const pxNs = (toNs - fromNs) / width;
      const want = tracks ? new Set(tracks) : null;
      // The lanes go into SQL too, so rows of other tracks are skipped in the index, never read.
      const lanes = JSON.stringify(tracks ?? []);
      const out = new Map<number, WindowTrack>();
      const track = (id: number): WindowTrack | null => {
        if (want && !want.has(id)) return null;
        let t = out.get(id);
        if (!t) {
          const a = this.actor(id);
          out.set(id, (t = emptyTrack(id, a?.name ?? `#${id}`, a?.track ?? 'scenario')));
        }
        return t;
      };
      const s0 = this.seqAtOrBefore(fromNs - 1) + 1;
      const s1 = this.seqAtOrBefore(toNs);
      let level: number | null = null;
      if (s1 - s0 + 1 <= WINDOW_RAW_MAX) this.raw(s0, s1, want, lanes, fromNs, pxNs, track);
      else level = this.buckets(fromNs, toNs, pxNs, want, lanes, track, out);
      this.spans(fromNs, toNs, width, pxNs, level, want, lanes, track);
      return { fromNs, toNs, width, pxNs, level, tracks: [...out.values()].sort((a, b) => a.actor - b.actor) };
    });
  }

  /** Few events: show them, folded per pixel and lane (window_fold.ts). */
  private raw(s0: number, s1: number, want: Set<number> | null, lanes: string, fromNs: number, pxNs: number, track: (id: number) => WindowTrack | null): void {
    const rows = (want ? this.db.stmt(`${RAW} AND ${ACTOR_IN} ORDER BY seq`).raw(true).all(s0, s1, lanes) : this.db.stmt(`${RAW} ORDER BY seq`).raw(true).all(s0, s1)) as EventRow[];
    foldEvents(rows, fromNs, pxNs, track);
  }

  /** Many events: the level-of-detail buckets at least a pixel wide; returns the level read. */
  private buckets(fromNs: number, toNs: number, pxNs: number, want: Set<number> | null, lanes: string, track: (id: number) => WindowTrack | null, out: Map<number, WindowTrack>): number {
    const level = LOD_LEVELS.find((l) => 2 ** l >= pxNs) ?? LOD_LEVELS[LOD_LEVELS.length - 1];
    const w = 2 ** level;
    const b0 = Math.floor(fromNs / w);
    const b1 = Math.floor(toNs / w);
    const c0 = Math.floor(b0 / LOD_CHUNK);
    const c1 = Math.floor(b1 / LOD_CHUNK);
    const nan = (v: number) => (v === v ? v : null);
    const push = (t: WindowTrack, kind: number, d: Float64Array, o: number) => {
      const b = d[o];
      t.buckets.push({ t0: b * w, t1: (b + 1) * w, n: d[o + 1], firstSeq: d[o + 2], lastSeq: d[o + 3], vmin: nan(d[o + 4]), vmax: nan(d[o + 5]), vlast: nan(d[o + 6]), roles: d[o + 7], kind: kind === LOD_OTHER_KIND ? null : kind });
    };
    if ((!want || want.size > LOD_ALL_MIN_LANES) && level >= LOD_ALL_MIN_LEVEL && this.hasLodAll()) {
      // Every lane (or most): one row per chunk holds them all.
      const rows = this.db.stmt('SELECT width, data FROM lod_all WHERE level = ? AND chunk BETWEEN ? AND ?').raw(true).all(level, c0, c1) as [number, Uint8Array][];
      for (const [width, blob] of rows) {
        const d = decodeLod(blob, width);
        let actor = -1;
        let t: WindowTrack | null = null;
        for (let o = 0; o < d.length; o += LOD_ALL_RECORD) {
          // A lane with buckets in the chunks read gets its track, as when read row by row.
          if (d[o] !== actor) {
            actor = d[o];
            t = track(actor);
          }
          const b = d[o + 2];
          if (t && b >= b0 && b <= b1) push(t, d[o + 1], d, o + 2);
        }
      }
    } else {
      const rows = (want ? this.db.stmt(LANE_SQL.lod).raw(true).all(level, c0, c1, lanes) : this.db.stmt(LOD).raw(true).all(level, c0, c1)) as [number, number, number, Uint8Array][];
      for (const [actor, kind, width, blob] of rows) {
        const t = track(actor);
        if (!t) continue;
        const d = decodeLod(blob, width);
        for (let o = 0; o < d.length; o += LOD_RECORD) {
          const b = d[o];
          if (b >= b0 && b <= b1) push(t, kind, d, o);
        }
      }
    }
    // Chunks come in (chunk, actor, kind) order: put each track's buckets in time order (a
    // stable sort, so buckets of one time keep their kind order), unless they are already.
    for (const t of out.values()) {
      const bs = t.buckets;
      for (let i = 1; i < bs.length; i++) {
        if (bs[i].t0 < bs[i - 1].t0) {
          t.buckets = sortBuckets(bs, w);
          break;
        }
      }
    }
    return level;
  }

  /** Spans at least a pixel long (all of them when reading raw events), one query per length class. */
  private spans(fromNs: number, toNs: number, width: number, pxNs: number, level: number | null, want: Set<number> | null, lanes: string, track: (id: number) => WindowTrack | null): void {
    const minLvl = level === null ? 0 : Math.max(0, Math.floor(Math.log2(pxNs)));
    const q = (want ? this.db.stmt(LANE_SQL.spans) : this.db.stmt(SPANS)).raw(true);
    // Longest first, so that when a track's budget runs out the short spans are the ones left out.
    for (let l = this.maxSpanLvl(); l >= minLvl; l--) {
      const p = [l, fromNs - 2 ** (l + 1), toNs, fromNs];
      const rows = (want ? q.all(...p, lanes) : q.all(...p)) as SpanSqlRow[];
      for (const r of rows) {
        if (level !== null && r[2] - r[1] < pxNs) continue;
        const t = track(r[0]);
        if (t && t.buckets.length + t.events.length + t.spans.length < 2 * width) t.spans.push(windowSpan(r[1], r[2], r[3], r[4], r[5], r[6], r[7]));
      }
    }
  }

  /** lod_all is filled when the run ends (or is marked failed); a trace left 'running' by a dead recorder has only lod. */
  private hasLodAll(): boolean {
    this.lodAll ??= this.db.stmt('SELECT EXISTS (SELECT 1 FROM lod_all)').pluck().get() === 1;
    return this.lodAll;
  }

  private maxSpanLvl(): number {
    if (this.spanLvlMax === null) {
      // Two queries: each of min() and max() alone is one seek in spans_by_lvl; together they scan it.
      const lo = this.db.stmt('SELECT min(lvl) FROM spans').pluck().get() as unknown;
      const hi = this.db.stmt('SELECT max(lvl) FROM spans').pluck().get() as unknown;
      // lvl drives a loop (one query per level): a value no span can have is refused, never looped to.
      for (const v of [lo, hi]) {
        if (v !== null && !(typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_SPAN_LVL)) {
          throw new TraceFileError(`'${this.db.file}' is corrupt: its spans table holds a level (lvl) of ${String(v)}; a span's level is an integer from 0 to ${MAX_SPAN_LVL}.`);
        }
      }
      this.spanLvlMax = (hi as number | null) ?? -1;
    }
    return this.spanLvlMax;
  }
}
