import fs from 'node:fs';
import zlib from 'node:zlib';
import Database from 'better-sqlite3';
import type { Relation } from '../sim/causes';
import { KINDS, TS_X, type TraceSink, type TrackType } from '../sim/events';
import type { Metrics } from '../sim/metrics';
import { StateFold, type FoldSnapshot } from '../sim/state';
import { TraceFileError } from './errors';
import { buildLodAll, LodBuilder, type LodChunk } from './lod';
import { CHECKPOINT_DEFLATE_MIN, FINAL_INDEX_SQL, LOD_HAS_VALUE, LOD_KINDS, LOD_LANE, ROLE_BIT, SCHEMA_SQL, TRACE_APPLICATION_ID, TRACE_FORMAT_VERSION } from './schema';
import { SpanDeriver, type SpanRow } from './spans';

/** What a trace records about its run before the first event. */
export interface TraceHeader {
  appVersion: string;
  scenario: string;
  params: Record<string, unknown>;
  seed: number;
  model: string;
  modelVersion: number;
  /** ISO 8601 wall-clock time the run started. */
  created: string;
}

/** How a run ended, as the writer stores it in `meta`. */
export interface TraceEnd {
  status: 'complete' | 'cancelled' | 'failed';
  error: string | null;
  endReason: string | null;
  events: number;
  endTimeNs: number;
  digest: string | null;
  metrics: Metrics | null;
}

/**
 * A batch's spans, packed so that they cross the MessagePort as one transferable buffer rather
 * than thousands of objects: per span actor, cat, name, holder, begin_seq, end_seq, t0, t1 (cat
 * and name as indexes into `names`; NaN for a NULL holder or end_seq).
 */
export interface PackedSpans {
  n: number;
  num: Float64Array;
  names: string[];
}
const SPAN_NUMS = 8;

/** Collects one batch's spans into a PackedSpans. */
class SpanPacker {
  private num = new Float64Array(1024 * SPAN_NUMS);
  private n = 0;
  private names: string[] = [];
  private ids = new Map<string, number>();
  private id(s: string): number {
    let i = this.ids.get(s);
    if (i === undefined) {
      i = this.names.length;
      this.names.push(s);
      this.ids.set(s, i);
    }
    return i;
  }
  get size(): number {
    return this.n;
  }
  add(s: SpanRow): void {
    if ((this.n + 1) * SPAN_NUMS > this.num.length) {
      const bigger = new Float64Array(this.num.length * 2);
      bigger.set(this.num);
      this.num = bigger;
    }
    const o = this.n * SPAN_NUMS;
    const a = this.num;
    a[o] = s.actor;
    a[o + 1] = this.id(s.cat);
    a[o + 2] = this.id(s.name);
    a[o + 3] = s.holder ?? NaN;
    a[o + 4] = s.beginSeq;
    a[o + 5] = s.endSeq ?? NaN;
    a[o + 6] = s.t0;
    a[o + 7] = s.t1;
    this.n++;
  }
  /** Hand over what was collected and start afresh. */
  take(): PackedSpans {
    const p = { n: this.n, num: this.num.slice(0, this.n * SPAN_NUMS), names: this.names };
    this.n = 0;
    this.names = [];
    this.ids = new Map();
    return p;
  }
}

/**
 * One write transaction's worth of rows: `n` events packed 7 numbers each in `num` (seq, t_ns,
 * kind, actor, cause_seq, a, b) plus their args, the actors first seen in them, and what was
 * derived from them. Plain data, so it can cross a MessagePort (`num` is transferable).
 */
export interface TraceBatch {
  actors: [number, string, TrackType][];
  n: number;
  num: Float64Array;
  args: (string | null)[];
  /** Spans packed SPAN_NUMS numbers each (see PackedSpans); cat and name index `names`. */
  spans: PackedSpans;
  lod: LodChunk[];
  /** [seq, t_ns, state]: JSON text, or deflated JSON (see schema.ts). */
  checkpoints: [number, number, string | Uint8Array][];
  lastSeq: number;
  lastT: number;
  /** Causal edges (causes.ts), 4 values each: from_seq, to_seq, rel, args (JSON or null). */
  edges: (number | string | null)[];
}

/**
 * Rows per multi-row INSERT. A row's cost in better-sqlite3 is mostly the statement step and the
 * call into native code, not the binding: one statement for 64 rows cuts it by a third or more.
 */
export const ROWS_PER_INSERT = 64;

/** `INSERT INTO table (cols) VALUES (?, ...), ...` for `rows` rows. */
function insertSql(table: string, cols: string[], rows: number): string {
  const row = `(${cols.map(() => '?').join(', ')})`;
  return `INSERT INTO ${table} (${cols.join(', ')}) VALUES ${Array.from({ length: rows }, () => row).join(', ')}`;
}

const EVENT_COLS = ['seq', 't_ns', 'kind', 'actor', 'cause_seq', 'a', 'b', 'args'];
const EDGE_COLS = ['from_seq', 'to_seq', 'rel', 'args'];
const SPAN_COLS = ['actor', 'cat', 'name', 'holder', 'begin_seq', 'end_seq', 't0', 't1', 'dur', 'lvl'];

/** Events per write transaction: big enough that commits are rare, small enough to lose little on a crash. */
export const DEFAULT_BATCH = 16_384;
/** Checkpoint spacing in events: bounds the replay behind `state --at` (see bench/trace.ts). */
export const DEFAULT_CHECKPOINT_EVERY = 2_048;

const ROLE_OF = KINDS.map((k) => ROLE_BIT[k.role]);
/** Kinds the span deriver needs to see (the rest skip it). */
const SPAN_KIND = KINDS.map((k) => k.role === 'begin' || k.role === 'end' || k.name === 'task_state');

/**
 * A checkpoint without the exited tasks (state X): the state view never shows them and no event
 * touches a task after it exits, so dropping them changes no answer while keeping checkpoints
 * from growing with every process a long run has ever had. (Idle locks are kept: dropping them
 * would change the order the view lists locks in once they are used again.)
 */
export function compactSnapshot(s: FoldSnapshot): FoldSnapshot {
  return { ...s, tasks: s.tasks.filter(([, t]) => t.state !== TS_X) };
}

/**
 * The deriving half of recording, a TraceSink on the simulator's thread: buffers events and
 * derives spans, level-of-detail chunks and checkpoints from them, handing a TraceBatch to `emit`
 * every `batch` events. The file itself is written by a TraceWriter (in another worker).
 */
export class TraceRecorder implements TraceSink {
  private num: Float64Array;
  private args: (string | null)[] = [];
  private actors: [number, string, TrackType][] = [];
  private n = 0;
  private readonly spanRows = new SpanPacker();
  private lodRows: LodChunk[] = [];
  private ckRows: [number, number, string | Uint8Array][] = [];
  private readonly fold = new StateFold();
  private readonly spans: SpanDeriver;
  private readonly lod: LodBuilder;
  private readonly batch: number;
  private readonly ckEvery: number;
  private lastSeq = 0;
  private lastT = 0;
  private edgeRows: (number | string | null)[] = [];
  /**
   * TraceSink.edge: causal edges, kept with the batch. Absent when built with `edges: false` (the
   * benchmark's baseline), so the model then computes none.
   */
  readonly edge?: (from: number, to: number, rel: Relation, args: string | null) => void;

  constructor(
    private readonly emit: (b: TraceBatch) => void,
    opts: { batch?: number; checkpointEvery?: number; edges?: boolean } = {},
  ) {
    if (opts.edges !== false) this.edge = (from, to, rel, args) => void this.edgeRows.push(from, to, rel, args);
    this.batch = opts.batch ?? DEFAULT_BATCH;
    this.ckEvery = opts.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY;
    this.num = new Float64Array(this.batch * 7);
    this.spans = new SpanDeriver((s) => this.spanRows.add(s));
    this.lod = new LodBuilder((c) => this.lodRows.push(c));
  }

  actor(id: number, name: string, track: TrackType): void {
    this.actors.push([id, name, track]);
    this.fold.actor(id, name, track);
  }

  event(seq: number, t: number, kind: number, actor: number, cause: number, a: number, b: number, args: string | null): void {
    const o = this.n * 7;
    const num = this.num;
    num[o] = seq;
    num[o + 1] = t;
    num[o + 2] = kind;
    num[o + 3] = actor;
    num[o + 4] = cause;
    num[o + 5] = a;
    num[o + 6] = b;
    this.args.push(args);
    this.n++;
    this.lastSeq = seq;
    this.lastT = t;
    this.fold.event(seq, t, kind, actor, cause, a, b, args);
    if (SPAN_KIND[kind]) this.spans.event(seq, t, kind, actor, a, args);
    // One LOD lane per counter, state and marker kind, one for everything else of the actor (schema.ts).
    this.lod.add(actor * LOD_KINDS + LOD_LANE[kind], seq, t, ROLE_OF[kind], LOD_HAS_VALUE[kind] ? a : NaN);
    if (seq % this.ckEvery === 0) {
      const json = JSON.stringify(compactSnapshot(this.fold.snapshot()));
      this.ckRows.push([seq, t, json.length > CHECKPOINT_DEFLATE_MIN ? zlib.deflateRawSync(json, { level: 1 }) : json]);
    }
    if (this.n === this.batch) this.flush();
  }

  /** Events received so far. */
  get events(): number {
    return this.lastSeq;
  }

  /** Hand over what is buffered (the event buffer moves with the batch; a new one is allocated). */
  flush(): void {
    if (this.n === 0 && this.actors.length === 0 && this.spanRows.size === 0 && this.lodRows.length === 0 && this.edgeRows.length === 0) return;
    const b: TraceBatch = {
      actors: this.actors,
      n: this.n,
      num: this.num,
      args: this.args,
      spans: this.spanRows.take(),
      lod: this.lodRows,
      checkpoints: this.ckRows,
      lastSeq: this.lastSeq,
      lastT: this.lastT,
      edges: this.edgeRows,
    };
    this.edgeRows = [];
    this.num = new Float64Array(this.batch * 7);
    this.args = [];
    this.actors = [];
    this.lodRows = [];
    this.ckRows = [];
    this.n = 0;
    this.emit(b);
  }

  /** The run has ended at `endNs`: close open spans and buckets and hand over the last batch. */
  finish(endNs: number): void {
    this.spans.close(endNs);
    this.lod.finish();
    this.flush();
  }
}

/**
 * Pragmas of every trace writer (and of the benchmark's insert ceiling): WAL so that a crash
 * keeps every committed batch; NORMAL sync, as WAL is durable at checkpoints; a 64 MiB cache.
 */
export const WRITE_PRAGMAS = ['journal_mode = WAL', 'synchronous = NORMAL', 'cache_size = -65536'];

/** Open a connection for writing with WRITE_PRAGMAS. */
export function openForWrite(file: string): Database.Database {
  const db = new Database(file);
  for (const p of WRITE_PRAGMAS) db.pragma(p);
  return db;
}

/**
 * The writing half of recording: creates a new trace file and writes TraceBatches, each in one
 * transaction, so whatever a crash leaves behind is consistent up to the last committed batch.
 * Owns its connection; lives in the writer worker.
 */
export class TraceWriter {
  readonly file: string;
  private readonly db: Database.Database;
  private readonly insEvent: Database.Statement;
  private readonly insEvents: Database.Statement;
  private readonly evParams: unknown[] = new Array<unknown>(EVENT_COLS.length * ROWS_PER_INSERT);
  private readonly insSpans: Database.Statement;
  private readonly spParams: unknown[] = new Array<unknown>(SPAN_COLS.length * ROWS_PER_INSERT);
  private readonly insActor: Database.Statement;
  private readonly insSpan: Database.Statement;
  private readonly insLod: Database.Statement;
  private readonly insCk: Database.Statement;
  private readonly insEdge: Database.Statement;
  private readonly insEdges: Database.Statement;
  private readonly updProgress: Database.Statement;
  private readonly writeTx: (b: TraceBatch) => void;
  private closed = false;

  /** Create `file` (which must not exist, or be empty) and write the header; throws TraceFileError. */
  constructor(file: string, header: TraceHeader, opts: { checkpointEvery?: number } = {}) {
    this.file = file;
    // An empty file is a name the caller reserved (created exclusively); anything else is somebody's data.
    if (fs.existsSync(file) && fs.statSync(file).size > 0) throw new TraceFileError(`Trace file '${file}' already exists; choose a new path.`);
    try {
      this.db = openForWrite(file);
    } catch (e) {
      throw new TraceFileError(`Cannot create trace file '${file}': ${(e as Error).message}.`);
    }
    const db = this.db;
    db.pragma(`application_id = ${TRACE_APPLICATION_ID}`);
    db.pragma(`user_version = ${TRACE_FORMAT_VERSION}`);
    db.exec(SCHEMA_SQL);
    const insKind = db.prepare('INSERT INTO kinds (id, name, role, span, doc) VALUES (?, ?, ?, ?, ?)');
    db.transaction(() => {
      KINDS.forEach((k, i) => insKind.run(i, k.name, k.role, 'span' in k ? k.span : null, k.doc));
      db.prepare(
        `INSERT INTO meta (format_version, app_version, scenario, params_json, seed, model, model_version, created, status, checkpoint_every)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'running', ?)`,
      ).run(TRACE_FORMAT_VERSION, header.appVersion, header.scenario, JSON.stringify(header.params), header.seed, header.model, header.modelVersion, header.created, opts.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY);
      // The state before the first event: `state --at` earlier than any checkpoint starts here.
      db.prepare('INSERT INTO checkpoints (seq, t_ns, state_json) VALUES (0, 0, ?)').run(JSON.stringify(new StateFold().snapshot()));
    })();
    this.insEvent = db.prepare(insertSql('events', EVENT_COLS, 1));
    this.insEvents = db.prepare(insertSql('events', EVENT_COLS, ROWS_PER_INSERT));
    this.insActor = db.prepare('INSERT INTO actors (id, name, track) VALUES (?, ?, ?)');
    this.insSpan = db.prepare(insertSql('spans', SPAN_COLS, 1));
    this.insSpans = db.prepare(insertSql('spans', SPAN_COLS, ROWS_PER_INSERT));
    this.insLod = db.prepare('INSERT INTO lod (level, chunk, actor, kind, n, width, data) VALUES (?, ?, ?, ?, ?, ?, ?)');
    this.insCk = db.prepare('INSERT INTO checkpoints (seq, t_ns, state_json) VALUES (?, ?, ?)');
    this.insEdge = db.prepare(insertSql('edges', EDGE_COLS, 1));
    this.insEdges = db.prepare(insertSql('edges', EDGE_COLS, ROWS_PER_INSERT));
    this.updProgress = db.prepare('UPDATE meta SET event_count = ?, end_time_ns = ?');
    this.writeTx = db.transaction((b: TraceBatch) => this.writeRows(b));
  }

  /** Write one batch in one transaction. */
  write(b: TraceBatch): void {
    this.writeTx(b);
  }

  private writeRows(b: TraceBatch): void {
    for (const [id, name, track] of b.actors) this.insActor.run(id, name, track);
    const num = b.num;
    const args = b.args;
    const R = ROWS_PER_INSERT;
    // Whole groups of R rows through the multi-row statement, the rest one by one.
    let i = 0;
    let o = 0;
    const p = this.evParams;
    const many = this.insEvents;
    for (; i + R <= b.n; ) {
      for (let k = 0, q = 0; k < R; k++, i++, o += 7, q += 8) {
        p[q] = num[o];
        p[q + 1] = num[o + 1];
        p[q + 2] = num[o + 2];
        p[q + 3] = num[o + 3];
        p[q + 4] = num[o + 4];
        p[q + 5] = num[o + 5];
        p[q + 6] = num[o + 6];
        p[q + 7] = args[i];
      }
      many.run(p);
    }
    const one = this.insEvent;
    for (; i < b.n; i++, o += 7) one.run(num[o], num[o + 1], num[o + 2], num[o + 3], num[o + 4], num[o + 5], num[o + 6], args[i]);
    const sp = this.spParams;
    const { n: nSpans, num: sn, names } = b.spans;
    const nul = (v: number) => (v === v ? v : null);
    const spanRow = (j: number, to: unknown[], q: number) => {
      const o = j * SPAN_NUMS;
      const t0 = sn[o + 6];
      const t1 = sn[o + 7];
      const dur = t1 - t0;
      to[q] = sn[o];
      to[q + 1] = names[sn[o + 1]];
      to[q + 2] = names[sn[o + 2]];
      to[q + 3] = nul(sn[o + 3]);
      to[q + 4] = sn[o + 4];
      to[q + 5] = nul(sn[o + 5]);
      to[q + 6] = t0;
      to[q + 7] = t1;
      to[q + 8] = dur;
      to[q + 9] = dur > 1 ? Math.floor(Math.log2(dur)) : 0;
    };
    let j = 0;
    for (; j + R <= nSpans; ) {
      for (let k = 0, q = 0; k < R; k++, j++, q += 10) spanRow(j, sp, q);
      this.insSpans.run(sp);
    }
    const one10 = new Array<unknown>(10);
    for (; j < nSpans; j++) {
      spanRow(j, one10, 0);
      this.insSpan.run(one10);
    }
    for (const c of b.lod) this.insLod.run(c.level, c.chunk, Math.floor(c.actor / LOD_KINDS), c.actor % LOD_KINDS, c.n, c.data.BYTES_PER_ELEMENT, Buffer.from(c.data.buffer, c.data.byteOffset, c.data.byteLength));
    const ed = b.edges ?? [];
    let e = 0;
    for (const step = 4 * R; e + step <= ed.length; e += step) this.insEdges.run(ed.slice(e, e + step));
    for (; e < ed.length; e += 4) this.insEdge.run(ed[e], ed[e + 1], ed[e + 2], ed[e + 3]);
    for (const [seq, t, state] of b.checkpoints) this.insCk.run(seq, t, typeof state === 'string' ? state : Buffer.from(state.buffer, state.byteOffset, state.byteLength));
    if (b.lastSeq > 0) this.updProgress.run(b.lastSeq, b.lastT);
  }

  /**
   * Store how the run ended, build the read indexes and leave the file in rollback-journal mode
   * so that readers never need WAL side files. Call after the recorder's last batch.
   */
  finish(end: TraceEnd): void {
    if (this.closed) return;
    this.db.exec(FINAL_INDEX_SQL);
    buildLodAll(this.db);
    this.db
      .prepare('UPDATE meta SET status = ?, error = ?, end_reason = ?, event_count = ?, end_time_ns = ?, digest = ?, metrics_json = ?')
      .run(end.status, end.error, end.endReason, end.events, end.endTimeNs, end.digest, end.metrics ? JSON.stringify(end.metrics) : null);
    this.closed = true;
    this.db.pragma('journal_mode = DELETE');
    this.db.close();
  }
}
