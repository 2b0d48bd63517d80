import zlib from 'node:zlib';
import type { Relation } from '../sim/causes';
import { KINDS, type TraceSink, type TrackType } from '../sim/events';
import { StateFold } from '../sim/state';
import { LodBuilder, type LodChunk } from './lod';
import { CHECKPOINT_DEFLATE_MIN, LOD_HAS_VALUE, LOD_KINDS, LOD_LANE, ROLE_BIT } from './schema';
import { SpanDeriver, type SpanRow } from './spans';

/*
 * The sim thread's half of recording (writer.ts is the writer thread's): the TraceRecorder and the
 * TraceBatch it hands over.
 */

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
/** Numbers per span in PackedSpans. */
export const SPAN_NUMS = 8;

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

/** Events per write transaction: big enough that commits are rare, small enough to lose little on a crash. */
export const DEFAULT_BATCH = 16_384;
/**
 * Checkpoint spacing in events: bounds the replay behind `state --at` (see bench/trace.ts). Since
 * the fold keeps only what exists (model 5), a checkpoint is ~1.5 KB deflated whatever the run's
 * length, so they can be dense: a lookup replays 512 events on average.
 */
export const DEFAULT_CHECKPOINT_EVERY = 1_024;

const ROLE_OF = KINDS.map((k) => ROLE_BIT[k.role]);
/** Kinds the span deriver needs to see (the rest skip it). */
const SPAN_KIND = KINDS.map((k) => k.role === 'begin' || k.role === 'end' || k.name === 'task_state');

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
      const json = JSON.stringify(this.fold.snapshot());
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

