import zlib from 'node:zlib';
import type { StateAtDto } from '../contract';
import type { TrackType } from '../sim/events';
import { FOLD_ARGS_KINDS, StateFold, type FoldSnapshot } from '../sim/state';
import type { TraceDb } from './db';
import { TraceFileError } from './errors';
import type { ActorInfo } from './meta';
import type { EventRow } from './rows';

/** Index of the last element <= v in an ascending array (0 if none is). */
export function lastAtOrBefore(a: Float64Array, v: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (a[mid] <= v) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * The events after a checkpoint up to a seq, as the fold replays them: args only for the kinds it
 * reads (no JS string is made for the others).
 */
const ROWS_AFTER_TO_SEQ = `SELECT seq, t_ns, kind, actor, cause_seq, a, b, CASE WHEN ${FOLD_ARGS_KINDS.map((k) => `kind = ${k}`).join(' OR ')} THEN args END FROM events WHERE seq > ? AND seq <= ? ORDER BY seq`;

/**
 * Time and state lookups of one trace, over its checkpoints: the last event at or before a time
 * (binary search by rowid between checkpoints), and the full model state at a time or right after
 * an event (the nearest checkpoint restored, then at most one checkpoint interval of events
 * replayed through the same fold the recorder used). Never a full scan.
 */
export class StateIndex {
  private ckSeq: Float64Array | null = null;
  private ckT: Float64Array | null = null;
  /** The fold behind the last stateAt answer: checkpoint index, state, time asked. */
  private scrub: { ck: number; fold: StateFold; atNs: number } | null = null;
  private maps: { count: number; names: Map<number, string>; tracks: Map<number, TrackType> } | null = null;

  constructor(
    private readonly db: TraceDb,
    private readonly actors: () => ActorInfo[],
    private readonly lastSeq: () => number,
  ) {}

  private load(): { seq: Float64Array; t: Float64Array } {
    if (!this.ckSeq) {
      // In time order, which the covering index checkpoints_by_t gives without touching the table
      // (whose rows hold the states); the same as seq order in a trace, where time never goes back.
      const rows = this.db.guard(() => this.db.stmt('SELECT seq, t_ns FROM checkpoints ORDER BY t_ns, seq').raw(true).all()) as [number, number][];
      for (let i = 1; i < rows.length; i++) {
        if (rows[i][0] < rows[i - 1][0]) {
          rows.sort((x, y) => x[0] - y[0]);
          break;
        }
      }
      if (rows.length === 0 || rows[0][0] !== 0) throw new TraceFileError(`'${this.db.file}' is corrupt: it has no initial checkpoint.`);
      this.ckSeq = Float64Array.from(rows, (r) => r[0]);
      this.ckT = Float64Array.from(rows, (r) => r[1]);
    }
    return { seq: this.ckSeq, t: this.ckT as Float64Array };
  }

  /** Time of event `seq` (which must exist). */
  private tOf(seq: number): number {
    return this.db.stmt('SELECT t_ns FROM events WHERE seq = ?').pluck().get(seq) as number;
  }

  /** The last seq whose t_ns <= t (0 if none). */
  seqAtOrBefore(t: number): number {
    return this.db.guard(() => {
      const ck = this.load();
      const last = this.lastSeq();
      if (last === 0) return 0;
      const i = lastAtOrBefore(ck.t, t);
      let lo = ck.seq[i];
      let hi = i + 1 < ck.seq.length ? ck.seq[i + 1] : last;
      if (lo === 0 && this.tOf(1) > t) return 0;
      if (lo === 0) lo = 1;
      // Invariant: t(lo) <= t; answer in [lo, hi].
      while (lo < hi) {
        const mid = Math.ceil((lo + hi) / 2);
        if (this.tOf(mid) <= t) lo = mid;
        else hi = mid - 1;
      }
      return lo;
    });
  }

  /** The full model state at `tNs` (after every event at tNs). */
  stateAt(tNs: number): StateAtDto {
    return this.db.guard(() => {
      const ck = this.load();
      const i = lastAtOrBefore(ck.t, tNs);
      // Scrubbing forward within one checkpoint interval (the cursor stepping) carries on from
      // the last answer instead of restoring the checkpoint again.
      let s = this.scrub;
      if (!s || s.ck !== i || tNs < s.atNs) this.scrub = s = { ck: i, fold: this.restore(i), atNs: tNs };
      // The last event at or before tNs (a binary search over a checkpoint interval), then exactly
      // the rows up to it in one call: never the rest of the interval.
      const rows = this.db.stmt(ROWS_AFTER_TO_SEQ).raw(true).all(s.fold.seq, this.seqAtOrBefore(tNs)) as EventRow[];
      for (const r of rows) s.fold.event(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]);
      s.atNs = tNs;
      return { atNs: tNs, ...s.fold.view() };
    });
  }

  /**
   * The state right after event `seq` (the cursor on an event; events later at the same ns are not
   * applied yet): the checkpoint at or before it, then the events up to it.
   */
  stateAtSeq(seq: number): StateAtDto {
    return this.db.guard(() => {
      const fold = this.restore(lastAtOrBefore(this.load().seq, seq));
      const rows = this.db.stmt(ROWS_AFTER_TO_SEQ).raw(true).all(fold.seq, seq) as EventRow[];
      for (const r of rows) fold.event(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]);
      return { atNs: fold.t, ...fold.view() };
    });
  }

  /**
   * The actors' names and tracks as maps, built once and shared by every restored fold; rebuilt
   * when the actor list grows (a run still recording declares more as it goes).
   */
  private actorMaps(): { names: Map<number, string>; tracks: Map<number, TrackType> } {
    const list = this.actors();
    if (!this.maps || this.maps.count !== list.length) {
      const names = new Map<number, string>();
      const tracks = new Map<number, TrackType>();
      for (const a of list) {
        names.set(a.id, a.name);
        tracks.set(a.id, a.track);
      }
      this.maps = { count: list.length, names, tracks };
    }
    return this.maps;
  }

  /** A fold restored from checkpoint number i. */
  private restore(i: number): StateFold {
    const seq0 = this.load().seq[i];
    const stored = this.db.stmt('SELECT state_json FROM checkpoints WHERE seq = ?').pluck().get(seq0) as unknown;
    const fold = new StateFold(this.actorMaps());
    let text: string;
    if (typeof stored === 'string') text = stored;
    else if (stored instanceof Uint8Array) {
      try {
        // Bounded: a deflate bomb stops at the limit instead of taking the process's memory.
        text = zlib.inflateRawSync(stored, { maxOutputLength: CHECKPOINT_MAX_BYTES }).toString();
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError) {
          throw new TraceFileError(`'${this.db.file}' was refused: checkpoint ${seq0} inflates to more than ${CHECKPOINT_MAX_BYTES >> 20} MiB; a checkpoint of a trace is far smaller.`);
        }
        throw new TraceFileError(`'${this.db.file}' is corrupt: checkpoint ${seq0} is not valid raw-DEFLATE data.`);
      }
    } else throw new TraceFileError(`'${this.db.file}' is corrupt: checkpoint ${seq0} holds ${stored === null ? 'NULL' : typeof stored}; a checkpoint is JSON text or deflated JSON.`);
    if (text.length > CHECKPOINT_MAX_BYTES) throw new TraceFileError(`'${this.db.file}' was refused: checkpoint ${seq0} is larger than ${CHECKPOINT_MAX_BYTES >> 20} MiB; a checkpoint of a trace is far smaller.`);
    let snap: unknown;
    try {
      snap = JSON.parse(text);
    } catch {
      throw new TraceFileError(`'${this.db.file}' is corrupt: checkpoint ${seq0} is not valid JSON.`);
    }
    const bad = snapshotProblem(snap);
    if (bad) throw new TraceFileError(`'${this.db.file}' is corrupt: checkpoint ${seq0} has the wrong shape (${bad}); a checkpoint is a state snapshot object with t, seq, freePages and the arrays tasks, mms, pasids, entries, dma, queues, locks, victims.`);
    try {
      fold.restore(snap as FoldSnapshot);
    } catch (e) {
      throw new TraceFileError(`'${this.db.file}' is corrupt: checkpoint ${seq0} has the wrong shape (${(e as Error).message}).`);
    }
    return fold;
  }
}

/** A checkpoint larger than this (inflated) is refused: a long run's state is a few MiB. */
export const CHECKPOINT_MAX_BYTES = 256 * 1024 * 1024;

/** What is wrong with a checkpoint's parsed JSON as a FoldSnapshot, or null. */
function snapshotProblem(v: unknown): string | null {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return `it is ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v}`;
  const o = v as Record<string, unknown>;
  for (const k of ['t', 'seq', 'freePages']) if (typeof o[k] !== 'number') return `${k} is ${typeof o[k]}, not a number`;
  for (const k of ['tasks', 'mms', 'pasids', 'entries', 'dma', 'queues', 'locks', 'victims']) if (!Array.isArray(o[k])) return `${k} is not an array`;
  for (const k of ['tasks', 'mms', 'pasids', 'entries', 'dma', 'queues', 'locks']) {
    for (const e of o[k] as unknown[]) if (!Array.isArray(e) || e.length !== 2) return `an entry of ${k} is not a [key, value] pair`;
  }
  for (const k of ['tasks', 'mms', 'entries', 'dma', 'queues', 'locks']) {
    for (const e of o[k] as unknown[][]) if (typeof e[1] !== 'object' || e[1] === null) return `a value in ${k} is not an object`;
  }
  for (const e of o.locks as unknown[][]) {
    const l = e[1] as Record<string, unknown>;
    if (!Array.isArray(l.holders) || !Array.isArray(l.waiters)) return 'a lock lacks its holders or waiters';
  }
  // Model 5 on: the freed mms and queues still listed (absent before).
  if (o.freed !== undefined) {
    const f = o.freed as Record<string, unknown> | null;
    if (typeof f !== 'object' || f === null || !Array.isArray(f.mms) || !Array.isArray(f.devs)) return 'freed is not an object with the arrays mms and devs';
  }
  return null;
}
