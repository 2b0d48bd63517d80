import { LOD_LEVELS } from './schema';

/** One `lod` row. */
export interface LodRow {
  level: number;
  bucket: number;
  actor: number;
  n: number;
  firstSeq: number;
  lastSeq: number;
  vmin: number | null;
  vmax: number | null;
  vlast: number | null;
  roles: number;
}

interface Agg {
  bucket: number;
  n: number;
  first: number;
  last: number;
  vmin: number | null;
  vmax: number | null;
  vlast: number | null;
  roles: number;
}

/**
 * Builds the level-of-detail buckets while recording. Only the finest level sees every event; a
 * bucket that closes (the actor's next event falls in a later bucket) is written and merged into
 * its parent at the next level, so the cost per event is constant whatever the number of levels.
 * Times only go forward, so a closed bucket never reopens.
 */
export class LodBuilder {
  private readonly open = new Map<number, (Agg | null)[]>();
  private readonly w0: number;
  private readonly ratios: number[];

  constructor(private readonly emit: (r: LodRow) => void) {
    this.w0 = 2 ** LOD_LEVELS[0];
    this.ratios = LOD_LEVELS.map((l, i) => (i + 1 < LOD_LEVELS.length ? 2 ** (LOD_LEVELS[i + 1] - l) : 0));
  }

  /** `v` is the value for counter and state kinds, else null; `roleBit` from ROLE_BIT. */
  add(actor: number, seq: number, t: number, roleBit: number, v: number | null): void {
    let L = this.open.get(actor);
    if (!L) this.open.set(actor, (L = new Array<Agg | null>(LOD_LEVELS.length).fill(null)));
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
    if (v !== null) {
      g.vlast = v;
      if (g.vmin === null || v < g.vmin) g.vmin = v;
      if (g.vmax === null || v > g.vmax) g.vmax = v;
    }
  }

  private close(actor: number, L: (Agg | null)[], i: number): void {
    const g = L[i] as Agg;
    L[i] = null;
    this.emit({ level: LOD_LEVELS[i], bucket: g.bucket, actor, n: g.n, firstSeq: g.first, lastSeq: g.last, vmin: g.vmin, vmax: g.vmax, vlast: g.vlast, roles: g.roles });
    if (i + 1 >= L.length) return;
    const pb = Math.floor(g.bucket / this.ratios[i]);
    let p = L[i + 1];
    if (p !== null && p.bucket !== pb) {
      this.close(actor, L, i + 1);
      p = null;
    }
    if (p === null) {
      L[i + 1] = { ...g, bucket: pb };
      return;
    }
    p.n += g.n;
    p.last = g.last;
    p.roles |= g.roles;
    if (g.vlast !== null) p.vlast = g.vlast;
    if (g.vmin !== null && (p.vmin === null || g.vmin < p.vmin)) p.vmin = g.vmin;
    if (g.vmax !== null && (p.vmax === null || g.vmax > p.vmax)) p.vmax = g.vmax;
  }

  /** Write every bucket still open (the run has ended). */
  finish(): void {
    for (const [actor, L] of this.open) {
      for (let i = 0; i < L.length; i++) if (L[i] !== null) this.close(actor, L, i);
    }
    this.open.clear();
  }
}
