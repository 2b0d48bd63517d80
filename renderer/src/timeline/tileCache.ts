import type { Ns, WindowDto } from '../../../main/contract';
import type { Viewport } from './viewport';

/** Fetches one tile: `window(runId, fromNs, toNs, widthPx)` of the run being shown. */
export type WindowFetcher = (fromNs: Ns, toNs: Ns, widthPx: number) => Promise<WindowDto>;

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
  /** Tiles of the exact level not loaded yet (drawn from coarser or finer stand-ins meanwhile). */
  pending: number;
  error: string | null;
}

/**
 * Level-of-detail tiles of one run, as Perfetto does it: a view is rounded out to power-of-two
 * ns-per-pixel levels and fixed-width tiles, so pans and zooms ask for tiles already cached. A
 * missing tile is drawn from a coarser (or finer) cached one meanwhile. Tile data is plain objects,
 * never reactive: drawing reads it synchronously.
 */
export class TileCache {
  readonly tilePx: number;
  private readonly maxTiles: number;
  private readonly maxInFlight: number;
  private readonly tiles = new Map<string, WindowDto>();
  private readonly inFlight = new Set<string>();
  private readonly queue: TileKey[] = [];
  private readonly failed = new Map<string, string>();
  private disposed = false;
  /** Requests made, for tests and the benchmark. */
  requests = 0;

  constructor(private readonly opts: TileCacheOptions) {
    this.tilePx = opts.tilePx ?? 256;
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

  private touch(id: string): WindowDto | undefined {
    const w = this.tiles.get(id);
    if (w) {
      this.tiles.delete(id);
      this.tiles.set(id, w);
    }
    return w;
  }

  /**
   * What to draw for view `v` on `widthPx` pixels; requests the missing tiles of the exact level
   * (and one neighbour either side, so a pan finds them ready).
   */
  cover(v: Viewport, widthPx: number): TileCover {
    const k = this.levelFor(v, widthPx);
    const keys = this.keysFor(k, v.fromNs, v.toNs);
    const windows: WindowDto[] = [];
    let pending = 0;
    let error: string | null = null;
    for (const key of keys) {
      const id = TileCache.id(key.k, key.i);
      const w = this.touch(id);
      if (w) {
        windows.push(w);
        continue;
      }
      pending++;
      const f = this.failed.get(id);
      if (f) error = f;
      else this.request(key);
      const stand = this.standIn(key);
      if (stand) windows.push(stand);
    }
    if (keys.length) {
      const span = keys[0].toNs - keys[0].fromNs;
      for (const key of this.keysFor(k, keys[0].fromNs - span, keys[0].fromNs - 1).concat(this.keysFor(k, keys[keys.length - 1].toNs, keys[keys.length - 1].toNs))) {
        const id = TileCache.id(key.k, key.i);
        if (!this.tiles.has(id) && !this.failed.has(id)) this.request(key, true);
      }
    }
    return { windows, pending, error };
  }

  /** The nearest cached tile of another level that covers `key`'s range (coarser first). */
  private standIn(key: TileKey): WindowDto | null {
    for (let d = 1; d <= 12; d++) {
      const k = key.k + d;
      const span = this.tilePx * 2 ** k;
      const w = this.tiles.get(TileCache.id(k, Math.floor(key.fromNs / span)));
      if (w) return w;
    }
    // Finer tiles: use one only if it is the whole story for this range (one level down, both halves).
    if (key.k > 0) {
      const a = this.tiles.get(TileCache.id(key.k - 1, key.i * 2));
      if (a) return a;
    }
    return null;
  }

  private request(key: TileKey, background = false): void {
    const id = TileCache.id(key.k, key.i);
    if (this.inFlight.has(id) || this.queue.some((q) => q.k === key.k && q.i === key.i)) return;
    if (background) this.queue.push(key);
    else this.queue.unshift(key);
    this.pump();
  }

  private pump(): void {
    while (!this.disposed && this.inFlight.size < this.maxInFlight && this.queue.length) {
      const key = this.queue.shift() as TileKey;
      const id = TileCache.id(key.k, key.i);
      if (this.tiles.has(id)) continue;
      this.inFlight.add(id);
      this.requests++;
      this.opts
        .fetch(key.fromNs, key.toNs, this.tilePx)
        .then(
          (w) => {
            if (this.disposed) return;
            this.tiles.set(id, w);
            while (this.tiles.size > this.maxTiles) this.tiles.delete(this.tiles.keys().next().value as string);
          },
          (e: unknown) => {
            if (this.disposed) return;
            this.failed.set(id, e instanceof Error ? e.message : String(e));
          },
        )
        .finally(() => {
          this.inFlight.delete(id);
          if (this.disposed) return;
          this.opts.onChange();
          this.pump();
        });
    }
    // Keep the background queue short: stale neighbours of old views are not worth fetching.
    if (this.queue.length > 16) this.queue.length = 16;
  }

  /** Forget failures (e.g. after the user presses Retry). */
  retry(): void {
    this.failed.clear();
    this.opts.onChange();
  }

  /** Tiles held now (for tests and the benchmark: it must not grow with the trace). */
  get size(): number {
    return this.tiles.size;
  }

  get loading(): boolean {
    return this.inFlight.size > 0;
  }

  dispose(): void {
    this.disposed = true;
    this.tiles.clear();
    this.queue.length = 0;
  }
}
