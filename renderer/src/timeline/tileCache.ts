import type { Ns, TrackWindowDto, WindowDto } from '../../../main/contract';
import type { Viewport } from './viewport';

/** Fetches one tile: `window(runId, fromNs, toNs, widthPx, tracks)` of the run being shown (`tracks` absent: every lane). */
export type WindowFetcher = (fromNs: Ns, toNs: Ns, widthPx: number, tracks?: number[]) => Promise<WindowDto>;

export interface TileCacheOptions {
  fetch: WindowFetcher;
  /** Called when a tile arrives or fails (schedule a redraw). */
  onChange: () => void;
  /** Width in px each tile is requested at. */
  tilePx?: number;
  /** Tiles kept (least recently used dropped first): memory does not grow with the trace. */
  maxTiles?: number;
  /** Requests in flight at once. */
  maxInFlight?: number;
  /** Run bounds: tiles wholly outside them are not requested. */
  startNs: Ns;
  endNs: Ns;
  /**
   * Where requests are sent from: by default at once, inside `cover`; a timeline passes a later
   * task (`(send) => setTimeout(send, 0)`), so that starting requests is no part of drawing a frame.
   */
  dispatch?: (send: () => void) => void;
}

/** A tile's place: level `k` (2^k ns per tile pixel) and index `i` (covers [i, i+1) × tile span). */
export interface TileKey {
  k: number;
  i: number;
  fromNs: Ns;
  toNs: Ns;
}

/** What a view can draw now: tile data (exact level first, then stand-ins) and what is missing. */
export interface TileCover {
  windows: WindowDto[];
  /** Tiles (or lanes of tiles) of the exact level not loaded yet (drawn from coarser or finer stand-ins meanwhile). */
  pending: number;
  error: string | null;
  /** Changes whenever what `windows` holds may have changed (a tile arrived, other tiles or lanes asked). */
  key: string;
}

/** One tile: the lanes fetched for it so far (every lane when `all`). */
interface Tile {
  from: Ns;
  to: Ns;
  bucketNs: Ns;
  lanes: Map<number, TrackWindowDto>;
  fetched: Set<number>;
  all: boolean;
  /** The WindowDto view of it, rebuilt when lanes arrive. */
  window: WindowDto | null;
}

interface Job {
  key: TileKey;
  /** Lanes asked for (null: all). */
  lanes: number[] | null;
}

/**
 * Level-of-detail tiles of one run, as Perfetto does it: a view is rounded out to power-of-two
 * ns-per-pixel levels and fixed-width tiles, so pans and zooms ask for tiles already cached. A
 * tile is filled lane by lane: only the lanes on screen are asked for (`window`'s `tracks`), and a
 * lane scrolled into view later is one more request for just it. A missing tile is drawn from a
 * coarser (or finer) cached one meanwhile. Tile data is plain objects, never reactive.
 */
export class TileCache {
  readonly tilePx: number;
  private readonly maxTiles: number;
  private readonly maxInFlight: number;
  private readonly tiles = new Map<string, Tile>();
  /** Lanes in flight per tile id (`*` for a whole-tile request). */
  private readonly inFlight = new Map<string, Set<number | '*'>>();
  private running = 0;
  private readonly queue: Job[] = [];
  private readonly failed = new Map<string, string>();
  private disposed = false;
  private pumpQueued = false;
  private version = 0;
  /** Requests made, for tests and the benchmark. */
  requests = 0;

  constructor(private readonly opts: TileCacheOptions) {
    this.tilePx = opts.tilePx ?? 512;
    this.maxTiles = opts.maxTiles ?? 256;
    this.maxInFlight = opts.maxInFlight ?? 4;
  }

  /** The level whose tile pixels are no coarser than the screen's: 2^k ≤ ns per screen pixel. */
  levelFor(v: Viewport, widthPx: number): number {
    const nsPerPx = (v.toNs - v.fromNs) / Math.max(1, widthPx);
    return Math.max(0, Math.floor(Math.log2(Math.max(1, nsPerPx))));
  }

  /** Tiles of level `k` covering [fromNs, toNs], clipped to the run. */
  keysFor(k: number, fromNs: Ns, toNs: Ns): TileKey[] {
    const span = this.tilePx * 2 ** k;
    const lo = Math.max(fromNs, this.opts.startNs);
    const hi = Math.min(toNs, this.opts.endNs);
    if (hi < lo) return [];
    const out: TileKey[] = [];
    for (let i = Math.floor(lo / span); i * span <= hi; i++) out.push({ k, i, fromNs: i * span, toNs: (i + 1) * span });
    return out;
  }

  private static id(k: number, i: number): string {
    return `${k}:${i}`;
  }

  private touch(id: string): Tile | undefined {
    const w = this.tiles.get(id);
    if (w) {
      this.tiles.delete(id);
      this.tiles.set(id, w);
    }
    return w;
  }

  /** Lanes of `want` (null: all) that `tile` does not have and nobody is fetching. */
  private missing(id: string, tile: Tile | undefined, want: readonly number[] | null): number[] | null | 'none' {
    const fl = this.inFlight.get(id);
    if (tile?.all || fl?.has('*')) return 'none';
    if (want === null) return null;
    const out = want.filter((l) => !tile?.fetched.has(l) && !fl?.has(l));
    return out.length ? out : 'none';
  }

  /**
   * What to draw for view `v` on `widthPx` pixels, for lanes `lanes` (all when absent); requests
   * what is missing of the exact level (and the same lanes of one tile either side, so a pan finds
   * them ready).
   */
  cover(v: Viewport, widthPx: number, lanes?: readonly number[]): TileCover {
    const want = lanes ? [...lanes] : null;
    const k = this.levelFor(v, widthPx);
    const keys = this.keysFor(k, v.fromNs, v.toNs);
    const windows: WindowDto[] = [];
    let pending = 0;
    let error: string | null = null;
    const parts: string[] = [String(this.version)];
    for (const key of keys) {
      const id = TileCache.id(key.k, key.i);
      const tile = this.touch(id);
      const miss = this.missing(id, tile, want);
      const has = tile && (tile.all || (want !== null && want.every((l) => tile.fetched.has(l))));
      if (tile) windows.push(this.windowOf(tile));
      parts.push(id);
      if (has) continue;
      pending++;
      const f = this.failed.get(id);
      if (f) error = f;
      else if (miss !== 'none') this.request({ key, lanes: miss });
      const stand = this.standIn(key);
      if (stand) {
        windows.push(this.windowOf(stand));
        parts.push(`~${stand.from}:${stand.bucketNs}`);
      }
    }
    if (keys.length) {
      const span = keys[0].toNs - keys[0].fromNs;
      for (const key of this.keysFor(k, keys[0].fromNs - span, keys[0].fromNs - 1).concat(this.keysFor(k, keys[keys.length - 1].toNs, keys[keys.length - 1].toNs))) {
        const id = TileCache.id(key.k, key.i);
        if (this.failed.has(id)) continue;
        const miss = this.missing(id, this.tiles.get(id), want);
        if (miss !== 'none') this.request({ key, lanes: miss }, true);
      }
    }
    return { windows, pending, error, key: parts.join(',') };
  }

  private windowOf(t: Tile): WindowDto {
    t.window ??= { fromNs: t.from, toNs: t.to, bucketNs: t.bucketNs, tracks: [...t.lanes.values()] };
    return t.window;
  }

  /** The nearest cached tile of another level that covers `key`'s range (coarser first). */
  private standIn(key: TileKey): Tile | null {
    for (let d = 1; d <= 12; d++) {
      const k = key.k + d;
      const span = this.tilePx * 2 ** k;
      const w = this.tiles.get(TileCache.id(k, Math.floor(key.fromNs / span)));
      if (w) return w;
    }
    // A finer tile: one level down, the first half.
    if (key.k > 0) {
      const a = this.tiles.get(TileCache.id(key.k - 1, key.i * 2));
      if (a) return a;
    }
    return null;
  }

  private request(job: Job, background = false): void {
    const id = TileCache.id(job.key.k, job.key.i);
    // A queued job for the same tile takes the new lanes too.
    const q = this.queue.find((x) => x.key.k === job.key.k && x.key.i === job.key.i);
    if (q) {
      if (q.lanes !== null) q.lanes = job.lanes === null ? null : [...new Set([...q.lanes, ...job.lanes])];
      if (!background) {
        this.queue.splice(this.queue.indexOf(q), 1);
        this.queue.unshift(q);
      }
      this.schedule();
      return;
    }
    if (this.tiles.get(id)?.all) return;
    if (background) this.queue.push(job);
    else this.queue.unshift(job);
    this.schedule();
  }

  /** Send what is queued: now, or from where `dispatch` says (once per batch of requests). */
  private schedule(): void {
    const d = this.opts.dispatch;
    if (!d) {
      this.pump();
      return;
    }
    if (this.pumpQueued) return;
    this.pumpQueued = true;
    d(() => {
      this.pumpQueued = false;
      this.pump();
    });
  }

  private pump(): void {
    while (!this.disposed && this.running < this.maxInFlight && this.queue.length) {
      const job = this.queue.shift() as Job;
      const id = TileCache.id(job.key.k, job.key.i);
      const lanes = job.lanes === null ? null : job.lanes.filter((l) => !this.tiles.get(id)?.fetched.has(l));
      if (lanes !== null && lanes.length === 0) continue;
      let fl = this.inFlight.get(id);
      if (!fl) this.inFlight.set(id, (fl = new Set()));
      const mine: (number | '*')[] = lanes === null ? ['*'] : lanes;
      for (const l of mine) fl.add(l);
      this.running++;
      this.requests++;
      const { fromNs, toNs } = job.key;
      (lanes === null ? this.opts.fetch(fromNs, toNs, this.tilePx) : this.opts.fetch(fromNs, toNs, this.tilePx, lanes))
        .then(
          (w) => {
            if (this.disposed) return;
            let t = this.tiles.get(id);
            if (!t) {
              t = { from: w.fromNs, to: w.toNs, bucketNs: w.bucketNs, lanes: new Map(), fetched: new Set(), all: false, window: null };
              this.tiles.set(id, t);
            }
            for (const tr of w.tracks) t.lanes.set(tr.id, tr);
            if (lanes === null) t.all = true;
            else for (const l of lanes) t.fetched.add(l);
            t.window = null;
            this.version++;
            while (this.tiles.size > this.maxTiles) this.tiles.delete(this.tiles.keys().next().value as string);
          },
          (e: unknown) => {
            if (this.disposed) return;
            this.failed.set(id, e instanceof Error ? e.message : String(e));
            this.version++;
          },
        )
        .finally(() => {
          this.running--;
          const f = this.inFlight.get(id);
          if (f) {
            for (const l of mine) f.delete(l);
            if (!f.size) this.inFlight.delete(id);
          }
          if (this.disposed) return;
          this.opts.onChange();
          this.pump();
        });
    }
    // Keep the background queue short: stale neighbours of old views are not worth fetching.
    if (this.queue.length > 16) this.queue.length = 16;
  }

  /** True if lane `id` of the tile covering `t` at the view's level has been fetched (its data, or its emptiness, is known). */
  knows(v: Viewport, widthPx: number, lane: number): boolean {
    const k = this.levelFor(v, widthPx);
    for (const key of this.keysFor(k, v.fromNs, v.toNs)) {
      const t = this.tiles.get(TileCache.id(key.k, key.i));
      if (!t || !(t.all || t.fetched.has(lane))) return false;
    }
    return true;
  }

  /** Whether a tile of view `v`'s level, covering it, is being fetched (or waits to be) for any of `lanes`. */
  fetching(v: Viewport, widthPx: number, lanes: readonly number[]): boolean {
    const k = this.levelFor(v, widthPx);
    for (const key of this.keysFor(k, v.fromNs, v.toNs)) {
      const fl = this.inFlight.get(TileCache.id(key.k, key.i));
      if (fl && (fl.has('*') || lanes.some((l) => fl.has(l)))) return true;
      const q = this.queue.find((x) => x.key.k === key.k && x.key.i === key.i);
      if (q && (q.lanes === null || q.lanes.some((l) => lanes.includes(l)))) return true;
    }
    return false;
  }

  /** Forget failures (e.g. after the user presses Retry). */
  retry(): void {
    this.failed.clear();
    this.version++;
    this.opts.onChange();
  }

  /** Tiles held now (for tests and the benchmark: it must not grow with the trace). */
  get size(): number {
    return this.tiles.size;
  }

  get loading(): boolean {
    return this.running > 0;
  }

  dispose(): void {
    this.disposed = true;
    this.tiles.clear();
    this.queue.length = 0;
  }
}
