import zlib from 'node:zlib';
import type Database from 'better-sqlite3';
import type { AnnotationDto, EventRowDto, WindowDto } from '../contract';
import { KINDS, type TrackType } from '../sim/events';
import { MetricsFold, type Metrics } from '../sim/metrics';
import { StateFold, type FoldSnapshot, type ModelState } from '../sim/state';
import { TraceFileError } from './errors';
import { corruptionError, openReadOnly } from './open';
import { decodeLod } from './lod';
import { eventRow, type EventRow } from './rows';
import { windowDto } from './window';
import { EDGES_FORMAT_VERSION, LOD_ALL_MIN_LEVEL, LOD_ALL_RECORD, LOD_CHUNK, LOD_KINDS, LOD_LEVELS, LOD_OTHER_KIND, LOD_RECORD, ROLE_BIT } from './schema';

/** Counter and state kinds: their values are kept apart in windows. */
const HAS_VALUE = KINDS.map((k) => k.role === 'counter' || k.role === 'state');

/** The `meta` row of a trace, in camelCase. Times in ns. */
export interface TraceMeta {
  formatVersion: number;
  appVersion: string;
  scenario: string;
  params: Record<string, unknown>;
  seed: number;
  model: string;
  modelVersion: number;
  created: string;
  status: 'running' | 'complete' | 'cancelled' | 'failed';
  error: string | null;
  endReason: string | null;
  events: number;
  endTimeNs: number;
  digest: string | null;
  /** Metrics as the run computed them (null if the run never finished, e.g. a crashed worker). */
  metrics: Metrics | null;
  checkpointEvery: number;
}

export interface ActorInfo {
  id: number;
  name: string;
  track: TrackType;
}

export type { EventRow } from './rows';

/** The state at one instant: `atNs` is the time asked for; `tNs`/`seq` the last event at or before it. */
export type StateAt = ModelState & { atNs: number };

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
/** A `spans` row in a window (see schema.ts for cat, name and holder). */
export interface WindowSpan {
  t0: number;
  t1: number;
  cat: string;
  name: string;
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

const ROLE_BITS = KINDS.map((k) => ROLE_BIT[k.role]);
/** The columns of an EventRow. */
const EVENT_COLS = 'SELECT seq, t_ns, kind, actor, cause_seq, a, b, args FROM events';
/** SQL condition: `actor` is one of the ids in a JSON array parameter. */
const ACTOR_IN = 'actor IN (SELECT value FROM json_each(?))';

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

/** A window for more lanes than this reads `lod_all` (every lane, one row per chunk) rather than a row per lane. */
const LOD_ALL_MIN_LANES = 256;

/** Up to this many events in a range, `window` reads raw events instead of buckets. */
export const WINDOW_RAW_MAX = 4096;

/**
 * Read-only access to one trace file: metadata, summary, state at a time, level-of-detail windows,
 * ad-hoc SQL. Opens with header and table checks (see open.ts); every damage error becomes a
 * TraceFileError naming the file. Not thread-safe; one per caller.
 */
export class TraceReader {
  readonly file: string;
  /** The connection: private, so every query of a trace is one of the methods here (prepared once, guarded). */
  private readonly db: Database.Database;
  private readonly closeFn: () => void;
  private metaCache: TraceMeta | null = null;
  private actorsCache: ActorInfo[] | null = null;
  private actorById: Map<number, ActorInfo> | null = null;
  private ckSeq: Float64Array | null = null;
  private ckT: Float64Array | null = null;
  private stmts = new Map<string, Database.Statement>();
  /** The fold behind the last stateAt answer: checkpoint index, state, time asked. */
  private scrub: { ck: number; fold: StateFold; atNs: number } | null = null;

  constructor(file: string) {
    this.file = file;
    const { db, close } = openReadOnly(file);
    this.db = db;
    this.closeFn = close;
  }

  close(): void {
    this.closeFn();
  }

  /** Run `fn`, turning SQLite damage errors into a TraceFileError naming this file. */
  guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      throw corruptionError(this.file, e);
    }
  }

  private stmt(sql: string): Database.Statement {
    let s = this.stmts.get(sql);
    if (!s) this.stmts.set(sql, (s = this.guard(() => this.db.prepare(sql))));
    return s;
  }

  meta(): TraceMeta {
    if (this.metaCache) return this.metaCache;
    const r = this.guard(() => this.stmt('SELECT * FROM meta').get()) as Record<string, unknown>;
    const json = <T>(v: unknown, what: string): T => {
      try {
        return JSON.parse(String(v)) as T;
      } catch {
        throw new TraceFileError(`'${this.file}' is corrupt: its ${what} is not valid JSON.`);
      }
    };
    this.metaCache = {
      formatVersion: r.format_version as number,
      appVersion: r.app_version as string,
      scenario: r.scenario as string,
      params: json(r.params_json, 'params_json'),
      seed: r.seed as number,
      model: r.model as string,
      modelVersion: r.model_version as number,
      created: r.created as string,
      status: r.status as TraceMeta['status'],
      error: (r.error as string | null) ?? null,
      endReason: (r.end_reason as string | null) ?? null,
      events: r.event_count as number,
      endTimeNs: r.end_time_ns as number,
      digest: (r.digest as string | null) ?? null,
      metrics: r.metrics_json == null ? null : json<Metrics>(r.metrics_json, 'metrics_json'),
      checkpointEvery: r.checkpoint_every as number,
    };
    return this.metaCache;
  }

  actors(): ActorInfo[] {
    if (!this.actorsCache) {
      this.actorsCache = this.guard(() => this.stmt('SELECT id, name, track FROM actors ORDER BY id').all()) as ActorInfo[];
      this.actorById = new Map(this.actorsCache.map((a) => [a.id, a]));
    }
    return this.actorsCache;
  }

  actor(id: number): ActorInfo | undefined {
    this.actors();
    return this.actorById?.get(id);
  }

  /** Every event in seq order, as raw rows; streams (never loads the whole table). */
  *rows(fromSeq = 1, toSeq = Number.MAX_SAFE_INTEGER): Generator<EventRow> {
    yield* this.iterate<EventRow>(`${EVENT_COLS} WHERE seq >= ? AND seq <= ? ORDER BY seq`, fromSeq, toSeq);
  }

  /** An actor's name, or `#id` for an id the trace does not name. */
  actorName(id: number): string {
    return this.actor(id)?.name ?? `#${id}`;
  }

  /** A raw row as the contract's EventRowDto, described. */
  row(r: EventRow): EventRowDto {
    return eventRow(r, (id) => this.actorName(id));
  }

  /** Event `seq`, or null if there is none. */
  eventAt(seq: number): EventRowDto | null {
    const r = this.guard(() => this.stmt(`${EVENT_COLS} WHERE seq = ?`).raw(true).get(seq)) as EventRow | undefined;
    return r ? this.row(r) : null;
  }

  /** Events fromSeq..toSeq (inclusive), in seq order. */
  eventsBetween(fromSeq: number, toSeq: number): EventRowDto[] {
    const rows = this.guard(() => this.stmt(`${EVENT_COLS} WHERE seq >= ? AND seq <= ? ORDER BY seq`).raw(true).all(fromSeq, toSeq)) as EventRow[];
    return rows.map((r) => this.row(r));
  }

  /** The first event of kind id `kind` at or after `fromSeq`, or null. */
  findEvent(kind: number, fromSeq: number): EventRowDto | null {
    const r = this.guard(() => this.stmt(`${EVENT_COLS} WHERE kind = ? AND seq >= ? ORDER BY seq LIMIT 1`).raw(true).get(kind, fromSeq)) as EventRow | undefined;
    return r ? this.row(r) : null;
  }

  /** Event `seq` and its causes, newest first, up to the scenario's first event (at most `max`; a cycle ends the walk). */
  causeChain(seq: number, max = 500): EventRowDto[] {
    const out: EventRowDto[] = [];
    const seen = new Set<number>();
    for (let s = seq; s > 0 && out.length < max && !seen.has(s); ) {
      seen.add(s);
      const e = this.eventAt(s);
      if (!e) break;
      out.push(e);
      s = e.causeSeq;
    }
    return out;
  }

  /**
   * The causal edges from event `seq` (format 4, main/sim/causes.ts), in the order recorded; none in
   * a format 3 trace. One indexed lookup.
   */
  edgesFrom(seq: number): { to: number; rel: string; args: string | null }[] {
    if (this.meta().formatVersion < EDGES_FORMAT_VERSION) return [];
    return this.guard(() => this.stmt('SELECT to_seq AS "to", rel, args FROM edges WHERE from_seq = ? ORDER BY rowid').all(seq)) as { to: number; rel: string; args: string | null }[];
  }

  /**
   * Every causal edge with both ends' time, actor and kind, streamed: [from_seq, to_seq, rel,
   * from t_ns, from actor, from kind, to t_ns, to actor, to kind]. None in a format 3 trace.
   */
  *edgeRows(): Generator<[number, number, string, number, number, number, number, number, number]> {
    if (this.meta().formatVersion < EDGES_FORMAT_VERSION) return;
    yield* this.iterate(
      'SELECT g.from_seq, g.to_seq, g.rel, a.t_ns, a.actor, a.kind, b.t_ns, b.actor, b.kind FROM edges g JOIN events a ON a.seq = g.from_seq JOIN events b ON b.seq = g.to_seq ORDER BY g.rowid',
    );
  }

  /** The bookmarks and notes saved in the trace, by time. */
  annotations(): AnnotationDto[] {
    const rows = this.guard(() => this.stmt('SELECT id, t_ns, seq, kind, text, created FROM annotations ORDER BY t_ns, id').all()) as { id: number; t_ns: number; seq: number | null; kind: string; text: string; created: string }[];
    return rows.map((x) => ({ id: x.id, tNs: x.t_ns, seq: x.seq, kind: x.kind === 'note' ? 'note' : 'bookmark', text: x.text, created: x.created }));
  }

  /** Every span, by start time: [actor, cat, name, holder, begin_seq, end_seq, t0, dur] (for exports). */
  *spanRows(): Generator<[number, string, string, number | null, number, number | null, number, number]> {
    yield* this.iterate('SELECT actor, cat, name, holder, begin_seq, end_seq, t0, dur FROM spans ORDER BY t0, id');
  }

  /** The event_log view in seq order: [seq, t_ns, kind, actor, cause_seq, args_json] (for exports). */
  *eventLog(): Generator<[number, number, string, string, number, string]> {
    yield* this.iterate('SELECT seq, t_ns, kind, actor, cause_seq, args_json FROM event_log ORDER BY seq');
  }

  /** SQLite's quick integrity check: 'ok', or what is wrong. */
  integrity(): string {
    return String(this.guard(() => this.db.pragma('quick_check', { simple: true })));
  }

  /** Stream the raw rows of one of this module's statements, damage errors named. */
  private *iterate<T>(sql: string, ...params: unknown[]): Generator<T> {
    const it = this.stmt(sql).raw(true).iterate(...params) as IterableIterator<T>;
    try {
      for (;;) {
        let r: IteratorResult<T>;
        try {
          r = it.next();
        } catch (e) {
          throw corruptionError(this.file, e);
        }
        if (r.done) return;
        yield r.value;
      }
    } finally {
      it.return?.();
    }
  }

  /** Metrics recomputed by folding the recorded events (the same fold the run used). */
  recomputeMetrics(): Metrics {
    const m = new MetricsFold();
    for (const a of this.actors()) m.actor(a.id, a.name, a.track);
    for (const r of this.rows()) m.event(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]);
    return m.result();
  }

  /** Number of event rows (seq is dense from 1, so the last seq). */
  countRows(): number {
    return this.guard(() => (this.stmt('SELECT max(seq) FROM events').pluck().get() as number | null) ?? 0);
  }

  private loadCheckpoints(): void {
    if (this.ckSeq) return;
    const rows = this.guard(() => this.stmt('SELECT seq, t_ns FROM checkpoints ORDER BY seq').raw(true).all()) as [number, number][];
    this.ckSeq = Float64Array.from(rows, (r) => r[0]);
    this.ckT = Float64Array.from(rows, (r) => r[1]);
    if (rows.length === 0 || rows[0][0] !== 0) throw new TraceFileError(`'${this.file}' is corrupt: it has no initial checkpoint.`);
  }

  /** Index of the last checkpoint with t_ns <= t (0 if none). */
  private ckIndex(t: number): number {
    return lastAtOrBefore(this.ckT as Float64Array, t);
  }

  /** Time of event `seq` (which must exist). */
  private tOf(seq: number): number {
    return this.stmt('SELECT t_ns FROM events WHERE seq = ?').pluck().get(seq) as number;
  }

  /** The last seq whose t_ns <= t (0 if none): binary search between checkpoints, by rowid. */
  seqAtOrBefore(t: number): number {
    this.loadCheckpoints();
    const last = this.countRows();
    if (last === 0) return 0;
    const i = this.ckIndex(t);
    let lo = (this.ckSeq as Float64Array)[i];
    let hi = i + 1 < (this.ckSeq as Float64Array).length ? (this.ckSeq as Float64Array)[i + 1] : last;
    if (lo === 0 && this.tOf(1) > t) return 0;
    if (lo === 0) lo = 1;
    // Invariant: t(lo) <= t; answer in [lo, hi].
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (this.tOf(mid) <= t) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /**
   * The full model state at `tNs`: the nearest checkpoint at or before it, then the events after
   * it with t_ns <= tNs replayed through the same fold the recorder used. Never a full scan.
   */
  stateAt(tNs: number): StateAt {
    return this.guard(() => {
      this.loadCheckpoints();
      const i = this.ckIndex(tNs);
      const ck = this.ckSeq as Float64Array;
      const seqEnd = i + 1 < ck.length ? ck[i + 1] : Number.MAX_SAFE_INTEGER;
      // Scrubbing forward within one checkpoint interval (the cursor stepping) carries on from
      // the last answer instead of restoring the checkpoint again.
      let s = this.scrub;
      if (!s || s.ck !== i || tNs < s.atNs) this.scrub = s = { ck: i, fold: this.restoreCheckpoint(i), atNs: tNs };
      // At most one checkpoint interval of rows: read them in one call (cheaper than stepping).
      const rows = this.stmt('SELECT seq, t_ns, kind, actor, cause_seq, a, b, args FROM events WHERE seq > ? AND seq < ? AND t_ns <= ? ORDER BY seq')
        .raw(true)
        .all(s.fold.seq, seqEnd, tNs) as EventRow[];
      for (const r of rows) s.fold.event(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]);
      s.atNs = tNs;
      return { atNs: tNs, ...s.fold.view() };
    });
  }

  /**
   * The state right after event `seq` (the cursor on an event; events later at the same ns are not
   * applied yet): the checkpoint at or before it, then the events up to it.
   */
  stateAtSeq(seq: number): StateAt {
    return this.guard(() => {
      this.loadCheckpoints();
      const fold = this.restoreCheckpoint(lastAtOrBefore(this.ckSeq as Float64Array, seq));
      const rows = this.stmt('SELECT seq, t_ns, kind, actor, cause_seq, a, b, args FROM events WHERE seq > ? AND seq <= ? ORDER BY seq').raw(true).all(fold.seq, seq) as EventRow[];
      for (const r of rows) fold.event(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]);
      return { atNs: fold.t, ...fold.view() };
    });
  }

  /** A fold restored from checkpoint number i. */
  private restoreCheckpoint(i: number): StateFold {
    const seq0 = (this.ckSeq as Float64Array)[i];
    const stored = this.stmt('SELECT state_json FROM checkpoints WHERE seq = ?').pluck().get(seq0) as string | Uint8Array;
    const fold = new StateFold();
    for (const a of this.actors()) fold.actor(a.id, a.name, a.track);
    let snap: FoldSnapshot;
    try {
      snap = JSON.parse(typeof stored === 'string' ? stored : zlib.inflateRawSync(stored).toString()) as FoldSnapshot;
    } catch {
      throw new TraceFileError(`'${this.file}' is corrupt: checkpoint ${seq0} is not valid (deflated) JSON.`);
    }
    fold.restore(snap);
    return fold;
  }

  /** The timeline's data for a view `width` pixels wide over [fromNs, toNs], as the contract shapes it (see windowData). */
  window(fromNs: number, toNs: number, width: number, tracks?: readonly number[]): WindowDto {
    return windowDto(this.windowData(fromNs, toNs, width, tracks), (id) => this.actorName(id));
  }

  /**
   * Per-track data for a view `width` pixels wide over [fromNs, toNs], as read: raw events when the range
   * holds few, else level-of-detail buckets at least a pixel wide, plus the spans at least a pixel
   * long. At most about 2 items per pixel per track. `tracks` limits it to those actor ids.
   */
  windowData(fromNs: number, toNs: number, width: number, tracks?: readonly number[]): WindowRange {
    return this.guard(() => {
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
          out.set(id, (t = { actor: id, name: a?.name ?? `#${id}`, track: a?.track ?? 'scenario', buckets: [], events: [], spans: [] }));
        }
        return t;
      };
      const s0 = this.seqAtOrBefore(fromNs - 1) + 1;
      const s1 = this.seqAtOrBefore(toNs);
      let level: number | null = null;
      if (s1 - s0 + 1 <= WINDOW_RAW_MAX) {
        // Few events: show them; more than one in one pixel of one track and lane fold into a
        // bucket (a lane: a counter or state kind, or the actor's other events together).
        const perPx = new Map<number, { px: number; k: number; single: WindowEvent | null; bucket: WindowBucket | null }>();
        const raw = (
          want
            ? this.stmt(`SELECT seq, t_ns, kind, actor, cause_seq, a, b, NULL FROM events WHERE seq >= ? AND seq <= ? AND ${ACTOR_IN} ORDER BY seq`).raw(true).all(s0, s1, lanes)
            : this.stmt('SELECT seq, t_ns, kind, actor, cause_seq, a, b, NULL FROM events WHERE seq >= ? AND seq <= ? ORDER BY seq').raw(true).all(s0, s1)
        ) as EventRow[];
        for (const r of raw) {
          const t = track(r[3]);
          if (!t) continue;
          const px = Math.floor((r[1] - fromNs) / pxNs);
          const lane = r[3] * LOD_KINDS + (HAS_VALUE[r[2]] ? r[2] : LOD_OTHER_KIND);
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
            c.bucket = { t0: fromNs + px * pxNs, t1: fromNs + (px + 1) * pxNs, n: 2, firstSeq: e.seq, lastSeq: r[0], vmin: Math.min(e.a, r[5]), vmax: Math.max(e.a, r[5]), vlast: r[5], roles: ROLE_BITS[e.kind] | ROLE_BITS[r[2]], kind: HAS_VALUE[r[2]] ? r[2] : null };
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
      } else {
        level = LOD_LEVELS.find((l) => 2 ** l >= pxNs) ?? LOD_LEVELS[LOD_LEVELS.length - 1];
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
          const rows = this.stmt('SELECT width, data FROM lod_all WHERE level = ? AND chunk BETWEEN ? AND ?').raw(true).all(level, c0, c1) as [number, Uint8Array][];
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
          const rows = (
            want
              ? this.stmt(`SELECT actor, kind, width, data FROM lod WHERE level = ? AND chunk BETWEEN ? AND ? AND ${ACTOR_IN}`).raw(true).all(level, c0, c1, lanes)
              : this.stmt('SELECT actor, kind, width, data FROM lod WHERE level = ? AND chunk BETWEEN ? AND ?').raw(true).all(level, c0, c1)
          ) as [number, number, number, Uint8Array][];
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
      }
      // Spans at least a pixel long (all of them when reading raw events), one query per length class.
      const minLvl = level === null ? 0 : Math.max(0, Math.floor(Math.log2(pxNs)));
      const maxLvl = this.maxSpanLvl();
      const SPANS = 'SELECT actor, t0, t1, cat, name, holder, begin_seq, end_seq FROM spans WHERE lvl = ? AND t0 > ? AND t0 <= ? AND t1 >= ?';
      const q = (want ? this.stmt(`${SPANS} AND ${ACTOR_IN}`) : this.stmt(SPANS)).raw(true);
      // Longest first, so that when a track's budget runs out the short spans are the ones left out.
      for (let l = maxLvl; l >= minLvl; l--) {
        const p = [l, fromNs - 2 ** (l + 1), toNs, fromNs];
        const rows = (want ? q.all(...p, lanes) : q.all(...p)) as [number, number, number, string, string, number | null, number, number | null][];
        for (const r of rows) {
          if (level !== null && r[2] - r[1] < pxNs) continue;
          const t = track(r[0]);
          if (t && t.buckets.length + t.events.length + t.spans.length < 2 * width) {
            t.spans.push({ t0: r[1], t1: r[2], cat: r[3], name: r[4], holder: r[5], beginSeq: r[6], endSeq: r[7] });
          }
        }
      }
      return { fromNs, toNs, width, pxNs, level, tracks: [...out.values()].sort((a, b) => a.actor - b.actor) };
    });
  }

  private lodAll: boolean | null = null;
  /** lod_all is filled when the run ends (or is marked failed); a trace left 'running' by a dead recorder has only lod. */
  private hasLodAll(): boolean {
    this.lodAll ??= this.stmt('SELECT EXISTS (SELECT 1 FROM lod_all)').pluck().get() === 1;
    return this.lodAll;
  }

  private spanLvlMax: number | null = null;
  private maxSpanLvl(): number {
    if (this.spanLvlMax === null) this.spanLvlMax = (this.stmt('SELECT max(lvl) FROM spans').pluck().get() as number | null) ?? -1;
    return this.spanLvlMax;
  }

  /**
   * Run one user SQL statement on this read-only connection. Anything but a read is refused
   * before it runs. Returns column names and up to `limit` rows.
   */
  query(sql: string, limit = 100_000): { columns: string[]; rows: unknown[][]; truncated: boolean } {
    let st: Database.Statement;
    try {
      st = this.db.prepare(sql);
    } catch (e) {
      const m = (e as Error).message;
      if (/more than one statement/i.test(m)) throw new TraceFileError(`The query on '${this.file}' must be a single statement.`);
      throw new TraceFileError(`The query on '${this.file}' is not valid SQL: ${m}.`);
    }
    if (!st.readonly || !st.reader) {
      throw new TraceFileError(`The query on '${this.file}' was refused: traces are opened read-only, so only statements that read (SELECT, WITH, read-only PRAGMA) may run.`);
    }
    const columns = st.columns().map((c) => c.name);
    const rows: unknown[][] = [];
    let truncated = false;
    try {
      for (const r of st.raw(true).iterate() as IterableIterator<unknown[]>) {
        if (rows.length >= limit) {
          truncated = true;
          break;
        }
        rows.push(r);
      }
    } catch (e) {
      const c = corruptionError(this.file, e);
      if (c instanceof TraceFileError) throw c;
      throw new TraceFileError(`The query on '${this.file}' failed: ${(e as Error).message}.`);
    }
    return { columns, rows, truncated };
  }
}

/** Index of the last element <= v in an ascending array (0 if none is). */
function lastAtOrBefore(a: Float64Array, v: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (a[mid] <= v) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
