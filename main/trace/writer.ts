import fs from 'node:fs';
import Database from 'better-sqlite3';
import { KINDS } from '../sim/events';
import type { Metrics } from '../sim/metrics';
import { StateFold } from '../sim/state';
import { TraceFileError } from './errors';
import { buildLodAll } from './lod';
import { DEFAULT_CHECKPOINT_EVERY, SPAN_NUMS, type TraceBatch } from './recorder';
import { TraceReader } from './reader';
import { storeTimelineIndex } from './timeline_stored';
import { FINAL_INDEX_SQL, LOD_KINDS, SCHEMA_SQL, TRACE_APPLICATION_ID, TRACE_FORMAT_VERSION } from './schema';

// The sim thread's half lives in recorder.ts; its names are re-exported for the callers of both.
export { DEFAULT_BATCH, DEFAULT_CHECKPOINT_EVERY, TraceRecorder, type PackedSpans, type TraceBatch } from './recorder';

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
 * Rows per multi-row INSERT. A row's cost in better-sqlite3 is mostly the statement step and the
 * call into native code, not the binding: one statement for 64 rows cuts it by a third or more.
 */
export const ROWS_PER_INSERT = 64;

/** `INSERT INTO table (cols) VALUES (?, ...), ...` for `rows` rows. */
export function insertSql(table: string, cols: string[], rows: number): string {
  const row = `(${cols.map(() => '?').join(', ')})`;
  return `INSERT INTO ${table} (${cols.join(', ')}) VALUES ${Array.from({ length: rows }, () => row).join(', ')}`;
}

const EVENT_COLS = ['seq', 't_ns', 'kind', 'actor', 'cause_seq', 'a', 'b', 'args'];
const EDGE_COLS = ['from_seq', 'to_seq', 'rel', 'args'];
const SPAN_COLS = ['actor', 'cat', 'name', 'holder', 'begin_seq', 'end_seq', 't0', 't1', 'dur', 'lvl'];

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
   * What opening the run reads first (alarms, lane groups, density), computed from the events now
   * and stored in the file (timeline_stored.ts), exactly as a reader would compute it: opening a
   * finished run then reads one row. A reader computes it itself when this fails.
   */
  private storeTimelineIndex(): void {
    let r: TraceReader | null = null;
    try {
      r = new TraceReader(this.file);
      storeTimelineIndex(this.db, r.computedTimelineIndex());
    } catch {
      // Only a cache: the reader computes the index from the events at open.
    } finally {
      r?.close();
    }
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
    this.storeTimelineIndex();
    this.closed = true;
    this.db.pragma('journal_mode = DELETE');
    this.db.close();
  }
}
