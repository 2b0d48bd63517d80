import type { AnnotationDto, AreaAggregateDto, EventRowDto, StateAtDto, TrackDto, WindowDto } from '../contract';
import { MetricsFold, type Metrics } from '../sim/metrics';
import { ANNOTATION_COLS, annotationDto, type AnnotationRow } from './annotations';
import { TraceDb } from './db';
import { edgeRows, edgesFrom, type EdgeRow } from './edges';
import { readActors, readMeta, type ActorInfo, type TraceMeta } from './meta';
import { eventRow, walkCauses, type EventRow } from './rows';
import { queryEach, userQuery, type QueryResult } from './sql';
import { StateIndex } from './state_at';
import { aggregateArea, rowsOfKind, searchEvents, timelineIndex, type TimelineIndex } from './timeline_queries';
import { storedTimelineIndex, storedTimelineJson } from './timeline_stored';
import { windowDto } from './window';
import { WindowReader, type WindowRange } from './window_read';

export type { ActorInfo, TraceMeta } from './meta';
export type { EventRow } from './rows';
export type { WindowBucket, WindowEvent, WindowRange, WindowSpan, WindowTrack } from './window_read';
export { WINDOW_RAW_MAX } from './window_read';
export { readError } from './open';

/** The state at one instant: `atNs` is the time asked for; `tNs`/`seq` the last event at or before it. */
export type StateAt = StateAtDto;

/** The columns of an EventRow. */
const EVENT_COLS = 'SELECT seq, t_ns, kind, actor, cause_seq, a, b, args FROM events';

/**
 * Read-only access to one trace file, every answer already the contract's shape: metadata,
 * events, state at a time (state_at.ts), level-of-detail windows (window_read.ts, shaped by
 * window.ts), annotations, ad-hoc SQL (sql.ts). Opens with header and table checks (open.ts); every
 * damage error becomes a TraceFileError naming the file. The connection is private (db.ts); a new
 * kind of question is a method here over a query module of main/trace. Not thread-safe; one per caller.
 */
export class TraceReader {
  readonly file: string;
  private readonly db: TraceDb;
  private readonly states: StateIndex;
  private readonly windows: WindowReader;
  private metaCache: TraceMeta | null = null;
  private actorsCache: ActorInfo[] | null = null;
  private actorById: Map<number, ActorInfo> | null = null;

  /** `strict`: refuse triggers and views a trace does not have (import). */
  constructor(file: string, opts: { strict?: boolean } = {}) {
    this.file = file;
    this.db = new TraceDb(file, opts);
    this.states = new StateIndex(this.db, () => this.actors(), () => this.countRows());
    this.windows = new WindowReader(this.db, (id) => this.actor(id), (t) => this.states.seqAtOrBefore(t));
  }

  close(): void {
    this.db.close();
  }

  /** Copy the database as this connection sees it (the -wal's committed pages included) to `dest`, through SQLite's online backup. */
  async backupTo(dest: string): Promise<void> {
    await this.db.backup(dest);
  }

  /** Run `fn`, turning SQLite damage errors into a TraceFileError naming this file. */
  guard<T>(fn: () => T): T {
    return this.db.guard(fn);
  }

  meta(): TraceMeta {
    this.metaCache ??= readMeta(this.db);
    return this.metaCache;
  }

  actors(): ActorInfo[] {
    if (!this.actorsCache) {
      this.actorsCache = readActors(this.db);
      this.actorById = new Map(this.actorsCache.map((a) => [a.id, a]));
    }
    return this.actorsCache;
  }

  actor(id: number): ActorInfo | undefined {
    this.actors();
    return this.actorById?.get(id);
  }

  /** An actor's name, or `#id` for an id the trace does not name. */
  actorName(id: number): string {
    return this.actor(id)?.name ?? `#${id}`;
  }

  // ------------------------------------------------------------------ events

  /** Every event in seq order, as raw rows; streams (never loads the whole table). */
  *rows(fromSeq = 1, toSeq = Number.MAX_SAFE_INTEGER): Generator<EventRow> {
    yield* this.db.iterate<EventRow>(`${EVENT_COLS} WHERE seq >= ? AND seq <= ? ORDER BY seq`, fromSeq, toSeq);
  }

  /** A raw row as the contract's EventRowDto, described. */
  row(r: EventRow): EventRowDto {
    return eventRow(r, (id) => this.actorName(id));
  }

  /** Event `seq`, or null if there is none. */
  eventAt(seq: number): EventRowDto | null {
    const r = this.db.guard(() => this.db.stmt(`${EVENT_COLS} WHERE seq = ?`).raw(true).get(seq)) as EventRow | undefined;
    return r ? this.row(r) : null;
  }

  /** The raw row of event `seq` (no description), or null. */
  rawAt(seq: number): EventRow | null {
    return (this.db.guard(() => this.db.stmt(`${EVENT_COLS} WHERE seq = ?`).raw(true).get(seq)) as EventRow | undefined) ?? null;
  }

  /** Events fromSeq..toSeq (inclusive), in seq order. */
  eventsBetween(fromSeq: number, toSeq: number): EventRowDto[] {
    const rows = this.db.guard(() => this.db.stmt(`${EVENT_COLS} WHERE seq >= ? AND seq <= ? ORDER BY seq`).raw(true).all(fromSeq, toSeq)) as EventRow[];
    return rows.map((r) => this.row(r));
  }

  /** The first event of kind id `kind` at or after `fromSeq`, or null. */
  findEvent(kind: number, fromSeq: number): EventRowDto | null {
    const r = this.db.guard(() => this.db.stmt(`${EVENT_COLS} WHERE kind = ? AND seq >= ? ORDER BY seq LIMIT 1`).raw(true).get(kind, fromSeq)) as EventRow | undefined;
    return r ? this.row(r) : null;
  }

  /** Every event of the kind the trace's kinds table names `name`, in seq order: [seq, t_ns, a, b, args] (through the partial index when it holds the kind). */
  kindRows(name: string): [number, number, number, number, unknown][] {
    return this.db.guard(() => {
      const id = this.db.stmt('SELECT id FROM kinds WHERE name = ?').pluck().get(name) as number | undefined;
      return id === undefined ? [] : (rowsOfKind(this.db, id, 'seq, t_ns, a, b, args') as [number, number, number, number, unknown][]);
    });
  }

  /** Event `seq` and its causes, newest first, up to the scenario's first event (at most `max`; a cycle ends the walk). */
  causeChain(seq: number, max = 500): EventRowDto[] {
    return walkCauses(seq, (s) => this.eventAt(s), max);
  }

  /** The causal edges from event `seq` (format 4, main/sim/causes.ts); none in a format 3 trace. */
  edgesFrom(seq: number): EdgeRow[] {
    return edgesFrom(this.db, this.meta().formatVersion, seq);
  }

  /** Every causal edge with both ends' time, actor and kind (for exports; see edges.ts). */
  *edgeRows(): Generator<[number, number, string, number, number, number, number, number, number]> {
    yield* edgeRows(this.db, this.meta().formatVersion);
  }

  /** Number of event rows (seq is dense from 1, so the last seq). */
  countRows(): number {
    return this.db.guard(() => (this.db.stmt('SELECT max(seq) FROM events').pluck().get() as number | null) ?? 0);
  }

  /** Metrics recomputed by folding the recorded events (the same fold the run used). */
  recomputeMetrics(): Metrics {
    return this.db.guard(() => {
      const m = new MetricsFold();
      for (const a of this.actors()) m.actor(a.id, a.name, a.track);
      for (const r of this.rows()) m.event(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]);
      return m.result();
    });
  }

  // ------------------------------------------------------------------ time and state

  /** The last seq whose t_ns <= t (0 if none): binary search between checkpoints, by rowid. */
  seqAtOrBefore(t: number): number {
    return this.states.seqAtOrBefore(t);
  }

  /** The full model state at `tNs`: the nearest checkpoint at or before it, then the events up to tNs replayed. Never a full scan. */
  stateAt(tNs: number): StateAt {
    return this.states.stateAt(tNs);
  }

  /** The state right after event `seq` (events later at the same ns are not applied yet). */
  stateAtSeq(seq: number): StateAt {
    return this.states.stateAtSeq(seq);
  }

  // ------------------------------------------------------------------ windows

  /** The timeline's data for a view `width` pixels wide over [fromNs, toNs], as the contract shapes it (see windowData). */
  window(fromNs: number, toNs: number, width: number, tracks?: readonly number[]): WindowDto {
    return windowDto(this.windows.read(fromNs, toNs, width, tracks), (id) => this.actorName(id));
  }

  /** The window as read (raw events or buckets, spans), before window.ts shapes it: see window_read.ts. */
  windowData(fromNs: number, toNs: number, width: number, tracks?: readonly number[]): WindowRange {
    return this.windows.read(fromNs, toNs, width, tracks);
  }

  // ------------------------------------------------------------------ annotations, exports, SQL

  /** The bookmarks and notes saved in the trace, by time. */
  annotations(): AnnotationDto[] {
    const rows = this.db.guard(() => this.db.stmt(`${ANNOTATION_COLS} ORDER BY t_ns, id`).all()) as AnnotationRow[];
    return rows.map(annotationDto);
  }

  /** Every span, by start time: [actor, cat, name, holder, begin_seq, end_seq, t0, dur] (for exports). */
  *spanRows(): Generator<[number, string, string, number | null, number, number | null, number, number]> {
    yield* this.db.iterate('SELECT actor, cat, name, holder, begin_seq, end_seq, t0, dur FROM spans ORDER BY t0, id');
  }

  /** The event_log view in seq order: [seq, t_ns, kind, actor, cause_seq, args_json] (for exports). */
  *eventLog(): Generator<[number, number, string, string, number, string]> {
    yield* this.db.iterate('SELECT seq, t_ns, kind, actor, cause_seq, args_json FROM event_log ORDER BY seq');
  }

  /** SQLite's quick integrity check: 'ok', or what is wrong. */
  integrity(): string {
    return this.db.integrity();
  }

  /** Run one user SQL statement (reads only; see sql.ts): column names and up to `limit` rows. */
  private timeline: TimelineIndex | null = null;
  /**
   * What the timeline needs at once (timeline_queries.ts): the alarm index, the lane groups, the
   * minimap density; kept once the run is complete (`live`: it is still growing, read afresh).
   */
  timelineIndex(tracks: readonly TrackDto[], endNs: number, live: boolean): TimelineIndex {
    if (this.timeline && !live) return this.timeline;
    // A finished run's file stores it (written by the recorder's last step), when it is a valid index of the file.
    const t = (!live && storedTimelineIndex(this.db, tracks, this.meta().events)) || timelineIndex(this.timelineSource(), tracks, endNs);
    if (!live) this.timeline = t;
    return t;
  }

  /** The timeline index of the finished run computed from its events, whatever the file stores (what a recording stores when it ends, what verify compares with). */
  computedTimelineIndex(): TimelineIndex {
    return timelineIndex(this.timelineSource(), this.tracks(), Math.max(1, this.meta().endTimeNs));
  }

  /** Whether the stored timeline index is the one the events give (null: the file stores none). */
  storedTimelineIndexMatches(): boolean | null {
    const json = storedTimelineJson(this.db);
    if (json === null) return null;
    return json === JSON.stringify(this.computedTimelineIndex());
  }

  /** The run's lanes: one per actor, as the timeline lists them. */
  tracks(): TrackDto[] {
    return this.actors().map((a) => ({ id: a.id, name: a.name, type: a.track }));
  }

  /** The next (dir 1) or previous (dir -1) event from `fromSeq` whose kind, actor or args contain `query`. */
  searchEvents(query: string, fromSeq: number, dir: 1 | -1): EventRowDto | null {
    return searchEvents(this.timelineSource(), query, fromSeq, dir);
  }

  /** Counts per kind and span time per lane of `tracks` over [fromNs, toNs]. */
  aggregateArea(fromNs: number, toNs: number, tracks: readonly number[]): AreaAggregateDto {
    return aggregateArea(this.timelineSource(), fromNs, toNs, tracks);
  }

  private timelineSource() {
    return { db: this.db, row: (r: EventRow) => this.row(r), actors: () => this.actors(), actorName: (id: number) => this.actorName(id), seqAtOrBefore: (t: number) => this.seqAtOrBefore(t) };
  }

  query(sql: string, limit = 100_000): QueryResult {
    return userQuery(this.db, sql, limit);
  }

  /** query, handing each row to `onRow` as it is read (sql.ts queryEach). */
  queryEach(sql: string, limit: number, onRow: (row: unknown[]) => void, onColumns?: (columns: string[]) => void): { columns: string[]; truncated: boolean; count: number } {
    return queryEach(this.db, sql, limit, onRow, onColumns);
  }
}
