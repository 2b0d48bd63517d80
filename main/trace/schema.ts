/**
 * The trace file format: one SQLite file per run. DESIGN.md ("Trace file") describes it; this
 * module is the one place that spells it out. Bump TRACE_FORMAT_VERSION on any change a reader of
 * the previous version would misread.
 */
import { KIND, type KindName } from '../sim/events';

import { KINDS } from '../sim/events';

/**
 * Format of the files this build writes. Stored in `meta` and in PRAGMA user_version.
 * 4: the `edges` table (causal relations beside cause_seq; event_log unchanged).
 */
export const TRACE_FORMAT_VERSION = 4;

/** Formats this build reads: 3 has no `edges` (its explanations follow scheduled-by only). */
export const READABLE_FORMAT_VERSIONS: readonly number[] = [3, 4];

/** The first format with the `edges` table. */
export const EDGES_FORMAT_VERSION = 4;

/** PRAGMA application_id of a trace ('SVAL'): tells a trace from any other SQLite file by its header. */
export const TRACE_APPLICATION_ID = 0x5356414c;

/** Level-of-detail bucket widths are 2^level ns for these levels (64 µs up to about 68 s). */
export const LOD_LEVELS: readonly number[] = [16, 18, 20, 22, 24, 26, 28, 30, 32, 34, 36];

/** `lod.kind` of the row that holds an actor's instants and span ends (kinds without a value). */
export const LOD_OTHER_KIND = 127;
/** Lanes per actor in the LOD builder's key (actor * LOD_KINDS + kind). */
export const LOD_KINDS = 128;
/**
 * Instants a zoomed-out view must still name: each keeps its own LOD lane (as counters and states
 * do), so a window at any zoom says "oom_kill" rather than "events". They are rare by nature.
 */
export const LOD_MARKER_KINDS: readonly string[] = ['oom_kill', 'deadlock', 'hung_task', 'invariant', 'signal', 'panic'];
/** Has kind id k a value kept in its LOD lane (counters, states)? */
export const LOD_HAS_VALUE: readonly boolean[] = KINDS.map((k) => k.role === 'counter' || k.role === 'state');
/** The LOD lane (`lod.kind`) of each kind id: its own for counters, states and markers, else LOD_OTHER_KIND. */
export const LOD_LANE: readonly number[] = KINDS.map((k, i) => (LOD_HAS_VALUE[i] || LOD_MARKER_KINDS.includes(k.name) ? i : LOD_OTHER_KIND));
/** Buckets per `lod` row. */
export const LOD_CHUNK = 64;
/** Numbers per bucket record in a `lod` blob. */
export const LOD_RECORD = 8;
/**
 * `lod_all` holds the levels from this one up: finer levels serve narrow ranges, where few lanes
 * have buckets and reading their `lod` rows is cheap.
 */
export const LOD_ALL_MIN_LEVEL = 18;
/** Numbers per record in a `lod_all` blob: actor, kind, then the LOD_RECORD numbers of a `lod` record. */
export const LOD_ALL_RECORD = 10;

/** Checkpoint JSON longer than this many characters is stored deflated. */
export const CHECKPOINT_DEFLATE_MIN = 4096;

/** Tables a reader needs; a file without one of them is refused. */
export const REQUIRED_TABLES = ['meta', 'kinds', 'actors', 'events', 'spans', 'checkpoints', 'lod', 'lod_all', 'annotations'] as const;
/** Tables a reader needs besides REQUIRED_TABLES in a file of format EDGES_FORMAT_VERSION or later. */
export const REQUIRED_TABLES_V4 = ['edges'] as const;

export const SCHEMA_SQL = `
CREATE TABLE meta (
  format_version   INTEGER NOT NULL,
  app_version      TEXT NOT NULL,
  scenario         TEXT NOT NULL,
  params_json      TEXT NOT NULL,
  seed             INTEGER NOT NULL,
  model            TEXT NOT NULL,
  model_version    INTEGER NOT NULL,
  created          TEXT NOT NULL,
  status           TEXT NOT NULL CHECK (status IN ('running', 'complete', 'cancelled', 'failed')),
  error            TEXT,
  end_reason       TEXT,
  event_count      INTEGER NOT NULL DEFAULT 0,
  end_time_ns      INTEGER NOT NULL DEFAULT 0,
  digest           TEXT,
  metrics_json     TEXT,
  checkpoint_every INTEGER NOT NULL
);
CREATE TABLE kinds (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, role TEXT NOT NULL, span TEXT, doc TEXT NOT NULL);
CREATE TABLE actors (id INTEGER PRIMARY KEY, name TEXT NOT NULL, track TEXT NOT NULL);
CREATE TABLE events (
  seq       INTEGER PRIMARY KEY,
  t_ns      INTEGER NOT NULL,
  kind      INTEGER NOT NULL,
  actor     INTEGER NOT NULL,
  cause_seq INTEGER NOT NULL,
  a         INTEGER NOT NULL,
  b         INTEGER NOT NULL,
  args      TEXT
);
-- event_log: everything named, for humans and SQL. args_json is the event's args with its a and
-- b added (an args key of the same name wins), so nothing of the row is lost.
CREATE VIEW event_log AS
  SELECT e.seq AS seq, e.t_ns AS t_ns, k.name AS kind, ac.name AS actor, e.cause_seq AS cause_seq,
         CASE WHEN e.args IS NULL THEN json_object('a', e.a, 'b', e.b)
              ELSE json_insert(e.args, '$.a', e.a, '$.b', e.b) END AS args_json
  FROM events e JOIN kinds k ON k.id = e.kind JOIN actors ac ON ac.id = e.actor;
-- Begin/end pairs, derived while recording. cat: release, fn, oom_reap, held, work,
-- flush_workqueue, synchronize_srcu, blocked. name: the function for cat 'fn' (stop_queue is the
-- DMA stop), 'S <what>' / 'D <what>' for 'blocked', else cat. holder: for 'held', the task actor.
-- end_seq is NULL for a span still open when the run ended; t1 is then the run's end time.
-- lvl = floor(log2(max(dur, 1))): lets a zoomed-out view ask only for spans wider than a pixel.
CREATE TABLE spans (
  id        INTEGER PRIMARY KEY,
  actor     INTEGER NOT NULL,
  cat       TEXT NOT NULL,
  name      TEXT NOT NULL,
  holder    INTEGER,
  begin_seq INTEGER NOT NULL,
  end_seq   INTEGER,
  t0        INTEGER NOT NULL,
  t1        INTEGER NOT NULL,
  dur       INTEGER NOT NULL,
  lvl       INTEGER NOT NULL
);
-- The model state (a StateFold snapshot: what exists, and the last few freed mms and queues) after event seq. state_json is
-- JSON text, or for a state larger than CHECKPOINT_DEFLATE_MIN bytes a BLOB of that JSON
-- compressed with raw DEFLATE (RFC 1951): a long run's state grows with every process it has
-- had, and uncompressed checkpoints would outweigh the events.
CREATE TABLE checkpoints (seq INTEGER PRIMARY KEY, t_ns INTEGER NOT NULL, state_json NOT NULL);
-- Level-of-detail buckets: bucket b at level L covers [b * 2^L, (b + 1) * 2^L) ns. They are
-- stored per (level, actor, kind, chunk of LOD_CHUNK consecutive buckets) as one blob, so a zoomed-out
-- view reads a few rows, never raw events. The blob holds records of LOD_RECORD little-endian
-- numbers: bucket, n (events), first_seq, last_seq, vmin, vmax, vlast (range and last value of
-- 'a' for counter and state kinds; none: NaN, or -2^31 as int32), roles (bit mask of event roles
-- present: 1 instant, 2 begin, 4 end, 8 counter, 16 state). width = 4: int32 (everything fits),
-- 8: float64. Only buckets holding events are stored. (A rowid table indexed at the end of the
-- run: blobs this size make a WITHOUT ROWID b-tree slow to insert into.) Counter, state and
-- marker kinds (LOD_MARKER_KINDS: oom_kill, signal...) get their own rows (kind = the kind id), so a
-- zoomed-out mm lane keeps mm_users, mm_count and its pages apart and an OOM kill stays named;
-- every other event of the actor shares one row (kind = LOD_OTHER_KIND).
CREATE TABLE lod (
  level  INTEGER NOT NULL,
  chunk  INTEGER NOT NULL,
  actor  INTEGER NOT NULL,
  kind   INTEGER NOT NULL,
  n      INTEGER NOT NULL,
  width  INTEGER NOT NULL CHECK (width IN (4, 8)),
  data   BLOB NOT NULL
);
-- lod_all: the same buckets as lod at levels >= LOD_ALL_MIN_LEVEL, all lanes of one (level, chunk)
-- in one row, so that a zoomed-out view of every track reads a few rows instead of one per lane
-- (a long run has thousands of actors).
-- Records of LOD_ALL_RECORD numbers: actor, kind, then a lod record; in (actor, kind, bucket)
-- order; width as in lod. Built from lod when the run ends (or is marked failed after a crash).
CREATE TABLE lod_all (
  level  INTEGER NOT NULL,
  chunk  INTEGER NOT NULL,
  n      INTEGER NOT NULL,
  width  INTEGER NOT NULL CHECK (width IN (4, 8)),
  data   BLOB NOT NULL
);
CREATE TABLE annotations (id INTEGER PRIMARY KEY, t_ns INTEGER NOT NULL, seq INTEGER, kind TEXT NOT NULL, text TEXT NOT NULL, created TEXT NOT NULL);
-- Causal edges beside events.cause_seq ("scheduled by"), recorded by the model (main/sim/causes.ts):
-- event from_seq is explained by event to_seq. rel: waits_on (a blocked task's wait: the holder's
-- acquire, the event that completed it, the work items or SRCU readers it waits for), held_by
-- (memory an allocation could not get, held by an mm since to_seq; args {mm, pages, locked}),
-- because_of (a decision from state: the event that set it). to_seq may be later than from_seq.
-- args: JSON text or NULL. Indexed by from_seq from the start (a few edges per hundred events), so a
-- run still recording is explained by lookups too.
CREATE TABLE edges (from_seq INTEGER NOT NULL, to_seq INTEGER NOT NULL, rel TEXT NOT NULL, args TEXT);
CREATE INDEX edges_by_from ON edges (from_seq);
-- What opening the run shows first (timeline_queries.ts timelineIndex: the alarms, the lane groups,
-- the minimap's density), as one JSON row written when the recording ends. A cache of the events:
-- a reader uses it only when it is a valid index of this file (timeline_stored.ts) and computes it
-- from the events otherwise (older traces have no such table). Optional: not in REQUIRED_TABLES.
CREATE TABLE timeline_index (json TEXT NOT NULL);
`;

/**
 * Kinds in the partial index `events_timeline`: the rare, decisive events, the ones that tie lanes to a
 * process, and the kernel log (printk, which the run view's log panel reads as the run opens).
 * Opening a run reads them through it (a few thousand index entries, whatever the trace's size);
 * adding the index or a kind to it changes nothing a reader of an older file reads, so the format
 * stays (a reader takes the list from the file's own index: see timeline_queries.ts rowsOfKind).
 * The index holds every column of those rows (kind, then seq: each kind in seq order), so opening a
 * run reads a few hundred KiB of contiguous index pages and never a scattered events page: a trace
 * that is not in the page cache opens as fast as one that is.
 */
export const TIMELINE_KINDS = [
  'oom_kill', 'deadlock', 'hung_task', 'invariant', 'oom_none', 'panic', 'oom_reap_fail', 'signal', 'mm_freed', 'release_begin', 'release_end',
  'task_new', 'mm_new', 'pasid_alloc', 'pasid_entry', 'dma_state', 'bond', 'printk',
] as const satisfies readonly KindName[];
export const TIMELINE_INDEX_NAME = 'events_timeline';
/**
 * The index's WHERE: `kind = 5 OR kind = 9 OR …`, not `kind IN (5, 9, …)`. SQLite evaluates a
 * partial index's IN list through an ephemeral table built anew for each row, which made building
 * the index scan 1M events in 1.1–1.3 s (most of a recording's serial tail) against ~0.2 s for the
 * OR chain; both select the same rows and readers take the form from the file (timeline_queries.ts).
 */
export const TIMELINE_WHERE = TIMELINE_KINDS.map((k) => `kind = ${KIND[k]}`).join(' OR ');

/**
 * Indexes built as the run ends (building them once is cheaper than keeping them while inserting).
 * A window of every lane reads spans by (lvl, t0) and lod by (level, chunk); a window of some lanes
 * (what the timeline asks for: the visible ones) seeks each lane in spans_by_lane and lod_by_lane
 * instead, so its cost follows the lanes and pixels asked for, not how many processes the run has
 * had (scanning every span of the range and filtering by actor made a zoomed-out 40-lane window of a
 * 50M-event run cost 15-40 ms, against 2-7 ms with these; older traces without them still read).
 */
export const FINAL_INDEX_SQL = `
CREATE INDEX IF NOT EXISTS ${TIMELINE_INDEX_NAME} ON events (kind, seq, t_ns, actor, cause_seq, a, b, args) WHERE ${TIMELINE_WHERE};
CREATE INDEX IF NOT EXISTS spans_by_lvl ON spans (lvl, t0);
CREATE INDEX IF NOT EXISTS spans_by_lane ON spans (lvl, actor, t0, t1);
CREATE INDEX IF NOT EXISTS checkpoints_by_t ON checkpoints (t_ns);
CREATE UNIQUE INDEX IF NOT EXISTS lod_by_chunk ON lod (level, chunk, actor, kind);
CREATE INDEX IF NOT EXISTS lod_by_lane ON lod (level, actor, chunk, kind);
CREATE UNIQUE INDEX IF NOT EXISTS lod_all_by_chunk ON lod_all (level, chunk);
`;

/** Role bits used in `lod.roles`. */
export const ROLE_BIT: Record<string, number> = { instant: 1, begin: 2, end: 4, counter: 8, state: 16 };
