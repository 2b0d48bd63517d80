import fs from 'node:fs';
import Database from 'better-sqlite3';
import { KINDS, type TraceSink, type TrackType } from '../sim/events';
import type { Metrics } from '../sim/metrics';
import { StateFold } from '../sim/state';
import { TraceFileError } from './errors';
import { LodBuilder, type LodRow } from './lod';
import { FINAL_INDEX_SQL, ROLE_BIT, SCHEMA_SQL, TRACE_APPLICATION_ID, TRACE_FORMAT_VERSION } from './schema';
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

export interface WriterOptions {
  /** Rows per transaction (events; derived rows ride along). */
  batch?: number;
  /** A checkpoint (full model state) every this many events. */
  checkpointEvery?: number;
}

/** Events per write transaction: big enough that commits are rare, small enough to lose little on a crash. */
export const DEFAULT_BATCH = 16_384;
/** Checkpoint spacing in events: bounds the replay behind `state --at` (see bench/trace.ts). */
export const DEFAULT_CHECKPOINT_EVERY = 4_096;

const ROLE_OF = KINDS.map((k) => ROLE_BIT[k.role]);
const HAS_VALUE = KINDS.map((k) => k.role === 'counter' || k.role === 'state');
/** Kinds the span deriver needs to see (the rest skip it). */
const SPAN_KIND = KINDS.map((k) => k.role === 'begin' || k.role === 'end' || k.name === 'task_state');

/** Open a connection for writing with the pragmas every writer here uses (the benchmark's ceiling too). */
export function openForWrite(file: string): Database.Database {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('cache_size = -65536');
  return db;
}

/**
 * Streams a run into a new trace file: a TraceSink the simulator feeds. Lives in the sim worker
 * and owns its connection. Events are buffered and written in batched transactions together with
 * what is derived from them (spans, level-of-detail buckets, checkpoints), so whatever a crash
 * leaves behind is consistent up to the last committed batch.
 */
export class TraceWriter implements TraceSink {
  readonly file: string;
  private readonly db: Database.Database;
  private readonly batch: number;
  private readonly ckEvery: number;
  private readonly insEvent: Database.Statement;
  private readonly insActor: Database.Statement;
  private readonly insSpan: Database.Statement;
  private readonly insLod: Database.Statement;
  private readonly insCk: Database.Statement;
  private readonly updProgress: Database.Statement;
  private readonly flushTx: () => void;

  private readonly num: Float64Array;
  private readonly args: (string | null)[];
  private n = 0;
  private actors: [number, string, TrackType][] = [];
  private spanRows: SpanRow[] = [];
  private lodRows: LodRow[] = [];
  private ckRows: [number, number, string][] = [];
  private readonly fold = new StateFold();
  private readonly spans: SpanDeriver;
  private readonly lod: LodBuilder;
  private lastSeq = 0;
  private lastT = 0;
  private closed = false;

  /** Create `file` (which must not exist, or be empty) and write the header; throws TraceFileError. */
  constructor(file: string, header: TraceHeader, opts: WriterOptions = {}) {
    this.file = file;
    // An empty file is a name the caller reserved (created exclusively); anything else is somebody's data.
    if (fs.existsSync(file) && fs.statSync(file).size > 0) throw new TraceFileError(`Trace file '${file}' already exists; choose a new path.`);
    this.batch = opts.batch ?? DEFAULT_BATCH;
    this.ckEvery = opts.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY;
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
      ).run(TRACE_FORMAT_VERSION, header.appVersion, header.scenario, JSON.stringify(header.params), header.seed, header.model, header.modelVersion, header.created, this.ckEvery);
      // The state before the first event: `state --at` earlier than any checkpoint starts here.
      db.prepare('INSERT INTO checkpoints (seq, t_ns, state_json) VALUES (0, 0, ?)').run(JSON.stringify(this.fold.snapshot()));
    })();
    this.insEvent = db.prepare('INSERT INTO events (seq, t_ns, kind, actor, cause_seq, a, b, args) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    this.insActor = db.prepare('INSERT INTO actors (id, name, track) VALUES (?, ?, ?)');
    this.insSpan = db.prepare('INSERT INTO spans (actor, cat, name, holder, begin_seq, end_seq, t0, t1, dur, lvl) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
    this.insLod = db.prepare('INSERT INTO lod (level, bucket, actor, n, first_seq, last_seq, vmin, vmax, vlast, roles) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
    this.insCk = db.prepare('INSERT INTO checkpoints (seq, t_ns, state_json) VALUES (?, ?, ?)');
    this.updProgress = db.prepare('UPDATE meta SET event_count = ?, end_time_ns = ?');
    this.num = new Float64Array(this.batch * 7);
    this.args = new Array<string | null>(this.batch).fill(null);
    this.spans = new SpanDeriver((s) => this.spanRows.push(s));
    this.lod = new LodBuilder((r) => this.lodRows.push(r));
    this.flushTx = db.transaction(() => this.writePending());
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
    this.args[this.n] = args;
    this.n++;
    this.lastSeq = seq;
    this.lastT = t;
    this.fold.event(seq, t, kind, actor, cause, a, b, args);
    if (SPAN_KIND[kind]) this.spans.event(seq, t, kind, actor, a, args);
    this.lod.add(actor, seq, t, ROLE_OF[kind], HAS_VALUE[kind] ? a : null);
    if (seq % this.ckEvery === 0) this.ckRows.push([seq, t, JSON.stringify(this.fold.snapshot())]);
    if (this.n === this.batch) this.flushTx();
  }

  private writePending(): void {
    for (const [id, name, track] of this.actors) this.insActor.run(id, name, track);
    this.actors = [];
    const num = this.num;
    const ins = this.insEvent;
    for (let i = 0; i < this.n; i++) {
      const o = i * 7;
      ins.run(num[o], num[o + 1], num[o + 2], num[o + 3], num[o + 4], num[o + 5], num[o + 6], this.args[i]);
      this.args[i] = null;
    }
    this.n = 0;
    for (const s of this.spanRows) {
      const dur = s.t1 - s.t0;
      this.insSpan.run(s.actor, s.cat, s.name, s.holder, s.beginSeq, s.endSeq, s.t0, s.t1, dur, dur > 1 ? Math.floor(Math.log2(dur)) : 0);
    }
    this.spanRows = [];
    for (const r of this.lodRows) this.insLod.run(r.level, r.bucket, r.actor, r.n, r.firstSeq, r.lastSeq, r.vmin, r.vmax, r.vlast, r.roles);
    this.lodRows = [];
    for (const [seq, t, json] of this.ckRows) this.insCk.run(seq, t, json);
    this.ckRows = [];
    this.updProgress.run(this.lastSeq, this.lastT);
  }

  /** Events received so far. */
  get events(): number {
    return this.lastSeq;
  }

  /**
   * Write what is buffered, close open spans and buckets, store how the run ended, build the
   * read indexes and leave the file in rollback-journal mode so readers never need WAL side files.
   */
  finish(end: TraceEnd): void {
    if (this.closed) return;
    this.spans.close(end.endTimeNs);
    this.lod.finish();
    this.flushTx();
    this.db.exec(FINAL_INDEX_SQL);
    this.db
      .prepare('UPDATE meta SET status = ?, error = ?, end_reason = ?, event_count = ?, end_time_ns = ?, digest = ?, metrics_json = ?')
      .run(end.status, end.error, end.endReason, end.events, end.endTimeNs, end.digest, end.metrics ? JSON.stringify(end.metrics) : null);
    this.close();
  }

  private close(): void {
    this.closed = true;
    this.db.pragma('journal_mode = DELETE');
    this.db.close();
  }
}
