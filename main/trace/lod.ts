import type Database from 'better-sqlite3';
import { LOD_ALL_MIN_LEVEL, LOD_CHUNK, LOD_LEVELS, LOD_RECORD } from './schema';

/** One `lod` row: the buckets of one actor at one level within one chunk, packed (see schema.ts). */
export interface LodChunk {
  level: number;
  chunk: number;
  actor: number;
  n: number;
  /** int32 records when every number fits (half the bytes), float64 otherwise. */
  data: Int32Array | Float64Array;
}

/** "No value" in an int32 record. */
export const LOD_I32_NONE = -2147483648;

interface Agg {
  bucket: number;
  n: number;
  first: number;
  last: number;
  vmin: number;
  vmax: number;
  vlast: number;
  roles: number;
}

/** Closed buckets of one (actor, level) waiting for their chunk to fill. */
interface Pending {
  chunk: number;
  recs: number[];
}

/**
 * Builds the level-of-detail buckets while recording. Only the finest level sees every event; a
 * bucket that closes (the actor's next event falls in a later bucket) is packed into its chunk
 * and merged into its parent at the next level, so the cost per event is constant whatever the
 * number of levels. Times only go forward, so a closed bucket never reopens and a chunk is
 * emitted once the first bucket of a later chunk closes. NaN stands for "no value".
 */
export class LodBuilder {
  private readonly open = new Map<number, (Agg | null)[]>();
  private readonly pending = new Map<number, (Pending | null)[]>();
  private readonly w0: number;
  private readonly ratios: number[];

  constructor(private readonly emit: (c: LodChunk) => void) {
    this.w0 = 2 ** LOD_LEVELS[0];
    this.ratios = LOD_LEVELS.map((l, i) => (i + 1 < LOD_LEVELS.length ? 2 ** (LOD_LEVELS[i + 1] - l) : 0));
  }

  /** `v` is the value for counter and state kinds, else NaN; `roleBit` from ROLE_BIT. */
  add(actor: number, seq: number, t: number, roleBit: number, v: number): void {
    let L = this.open.get(actor);
    if (!L) {
      this.open.set(actor, (L = new Array<Agg | null>(LOD_LEVELS.length).fill(null)));
      this.pending.set(actor, new Array<Pending | null>(LOD_LEVELS.length).fill(null));
    }
    const b = Math.floor(t / this.w0);
    let g = L[0];
    if (g !== null && g.bucket !== b) {
      this.close(actor, L, 0);
      g = null;
    }
    if (g === null) {
      L[0] = { bucket: b, n: 1, first: seq, last: seq, vmin: v, vmax: v, vlast: v, roles: roleBit };
      return;
    }
    g.n++;
    g.last = seq;
    g.roles |= roleBit;
    if (v === v) {
      g.vlast = v;
      if (!(v >= g.vmin)) g.vmin = v;
      if (!(v <= g.vmax)) g.vmax = v;
    }
  }

  private close(actor: number, L: (Agg | null)[], i: number): void {
    const g = L[i] as Agg;
    L[i] = null;
    this.pack(actor, i, g);
    if (i + 1 >= L.length) return;
    const pb = Math.floor(g.bucket / this.ratios[i]);
    let p = L[i + 1];
    if (p !== null && p.bucket !== pb) {
      this.close(actor, L, i + 1);
      p = null;
    }
    if (p === null) {
      // The closed bucket is packed already: reuse its object as the parent's.
      g.bucket = pb;
      L[i + 1] = g;
      return;
    }
    p.n += g.n;
    p.last = g.last;
    p.roles |= g.roles;
    if (g.vlast === g.vlast) p.vlast = g.vlast;
    if (!(g.vmin >= p.vmin)) p.vmin = g.vmin;
    if (!(g.vmax <= p.vmax)) p.vmax = g.vmax;
  }

  private pack(actor: number, i: number, g: Agg): void {
    const P = this.pending.get(actor) as (Pending | null)[];
    const chunk = Math.floor(g.bucket / LOD_CHUNK);
    let p = P[i];
    if (p !== null && p.chunk !== chunk) {
      this.flushChunk(actor, i, p);
      p = null;
    }
    if (p === null) P[i] = p = { chunk, recs: [] };
    p.recs.push(g.bucket, g.n, g.first, g.last, g.vmin, g.vmax, g.vlast, g.roles);
  }

  private flushChunk(actor: number, i: number, p: Pending): void {
    let n = 0;
    for (let k = 1; k < p.recs.length; k += LOD_RECORD) n += p.recs[k];
    this.emit({ level: LOD_LEVELS[i], chunk: p.chunk, actor, n, data: packLod(p.recs) });
  }

  /** Write every bucket and chunk still open (the run has ended). */
  finish(): void {
    for (const [actor, L] of this.open) {
      for (let i = 0; i < L.length; i++) if (L[i] !== null) this.close(actor, L, i);
      const P = this.pending.get(actor) as (Pending | null)[];
      for (let i = 0; i < P.length; i++) {
        const p = P[i];
        if (p !== null) this.flushChunk(actor, i, p);
        P[i] = null;
      }
    }
    this.open.clear();
    this.pending.clear();
  }
}

/** Pack LOD numbers (NaN: no value) as int32 when every one fits, else float64. */
export function packLod(r: ArrayLike<number>): Int32Array | Float64Array {
  const i32 = new Int32Array(r.length);
  for (let k = 0; k < r.length; k++) {
    const v = r[k];
    if (v !== v) i32[k] = LOD_I32_NONE;
    else if ((v | 0) === v && v !== LOD_I32_NONE) i32[k] = v;
    else return Float64Array.from(r);
  }
  return i32;
}

const blobOf = (d: Int32Array | Float64Array) => Buffer.from(d.buffer, d.byteOffset, d.byteLength);

/**
 * Fill `lod_all` from `lod` (see schema.ts): for each (level, chunk), every lane's records with
 * their actor and kind, in one row. Run once the run's lod rows are all written and indexed
 * (the writer's finish, or marking a crashed trace failed); a few hundred rows for millions of events.
 */
export function buildLodAll(db: Database.Database): void {
  const next = db.prepare('SELECT min(chunk) FROM lod WHERE level = ? AND chunk >= ?').pluck();
  const rows = db.prepare('SELECT chunk, actor, kind, width, data FROM lod WHERE level = ? AND chunk >= ? AND chunk < ? ORDER BY chunk, actor, kind').raw(true);
  const ins = db.prepare('INSERT INTO lod_all (level, chunk, n, width, data) VALUES (?, ?, ?, ?, ?)');
  const STEP = 16;
  type Row = [number, number, number, number, Uint8Array];
  /** One (level, chunk): int32 records when every lane's are (the usual case), copied without decoding. */
  const write = (level: number, chunk: number, group: Row[]) => {
    let recs = 0;
    let n = 0;
    let i32 = true;
    for (const [, actor, , width, data] of group) {
      recs += data.byteLength / width / LOD_RECORD;
      if (width !== 4 || actor !== (actor | 0) || actor === LOD_I32_NONE) i32 = false;
    }
    let out: Int32Array | Float64Array;
    if (i32) {
      out = new Int32Array(recs * (LOD_RECORD + 2));
      let o = 0;
      for (const [, actor, kind, , data] of group) {
        const d = new Int32Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
        for (let k = 0; k < d.length; k += LOD_RECORD) {
          out[o] = actor;
          out[o + 1] = kind;
          out.set(d.subarray(k, k + LOD_RECORD), o + 2);
          n += d[k + 1];
          o += LOD_RECORD + 2;
        }
      }
    } else {
      const r: number[] = [];
      for (const [, actor, kind, width, data] of group) {
        const d = decodeLod(data, width);
        for (let k = 0; k < d.length; k += LOD_RECORD) {
          r.push(actor, kind);
          for (let q = 0; q < LOD_RECORD; q++) r.push(d[k + q]);
          n += d[k + 1];
        }
      }
      out = packLod(r);
    }
    ins.run(level, chunk, n, out.BYTES_PER_ELEMENT, blobOf(out));
  };
  db.transaction(() => {
    db.exec('DELETE FROM lod_all');
    for (const level of LOD_LEVELS.filter((l) => l >= LOD_ALL_MIN_LEVEL)) {
      for (let c = next.get(level, 0) as number | null; c !== null; c = next.get(level, c) as number | null) {
        let group: Row[] = [];
        for (const row of rows.all(level, c, c + STEP) as Row[]) {
          if (group.length > 0 && row[0] !== group[0][0]) {
            write(level, group[0][0], group);
            group = [];
          }
          group.push(row);
        }
        if (group.length > 0) write(level, group[0][0], group);
        c += STEP;
      }
    }
  })();
}

/** A file from elsewhere may hold anything in a lod row: a shape no writer makes is refused (the reader names the file). */
function checkLodShape(blob: Uint8Array, width: number): void {
  if (!(blob instanceof Uint8Array) || (width !== 4 && width !== 8) || blob.byteLength % width !== 0) {
    throw new RangeError(`a level-of-detail row holds ${blob instanceof Uint8Array ? `${blob.byteLength} bytes` : typeof blob} with width ${String(width)}; lod data is a blob of 4- or 8-byte numbers`);
  }
}

/** Number `k` of a lod blob as decodeLod reads it, in place: for a reader that needs a few numbers of each record. */
export function lodAt(blob: Uint8Array, width: number): (k: number) => number {
  checkLodShape(blob, width);
  const v = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  if (width === 8) return (k) => v.getFloat64(k * 8, true);
  return (k) => {
    const x = v.getInt32(k * 4, true);
    return x === LOD_I32_NONE ? NaN : x;
  };
}

/** Decode a `lod` blob of `width` bytes per number into float64 records (NaN: no value). */
export function decodeLod(blob: Uint8Array, width: number): Float64Array {
  checkLodShape(blob, width);
  const copy = blob.slice();
  if (width === 8) return new Float64Array(copy.buffer, 0, copy.byteLength / 8);
  const i = new Int32Array(copy.buffer, 0, copy.byteLength / 4);
  const out = new Float64Array(i.length);
  for (let k = 0; k < i.length; k++) out[k] = i[k] === LOD_I32_NONE ? NaN : i[k];
  return out;
}
