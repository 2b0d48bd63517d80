import { describe, expect, it } from 'vitest';
import type { WindowDto } from '../../../main/contract';
import { TileCache } from '../../../renderer/src/timeline/tileCache';

function setup(maxTiles = 256) {
  const asked: [number, number, number][] = [];
  const pending: (() => void)[] = [];
  let changes = 0;
  const cache = new TileCache({
    fetch: (fromNs, toNs, widthPx) => {
      asked.push([fromNs, toNs, widthPx]);
      return new Promise<WindowDto>((resolve) => pending.push(() => resolve({ fromNs, toNs, bucketNs: 1, tracks: [] })));
    },
    onChange: () => changes++,
    startNs: 0,
    endNs: 60e9,
    maxTiles,
    maxInFlight: 100,
  });
  const flush = async () => {
    while (pending.length) pending.shift()?.();
    await new Promise((r) => setTimeout(r, 0));
  };
  return { cache, asked, flush, changes: () => changes };
}

describe('TileCache', () => {
  it('asks for power-of-two tiles that cover the view, never for the whole trace', async () => {
    const { cache, asked, flush } = setup();
    const view = { fromNs: 1e9, toNs: 2e9 };
    const c = cache.cover(view, 1000);
    expect(c.pending).toBeGreaterThan(0);
    for (const [from, to, w] of asked) {
      const span = to - from;
      expect(Math.log2(span / w) % 1).toBe(0); // tile pixel = 2^k ns
      expect(from % span).toBe(0); // aligned to its own width
      expect(span).toBeLessThan(60e9);
    }
    // The tiles' pixels are no coarser than the screen's (1e6 ns per px here).
    const k = cache.levelFor(view, 1000);
    expect(2 ** k).toBeLessThanOrEqual(1e6);
    expect(2 ** (k + 1)).toBeGreaterThan(1e6);
    await flush();
    expect(cache.cover(view, 1000).pending).toBe(0);
  });

  it('serves a small pan from the cache', async () => {
    const { cache, asked, flush } = setup();
    cache.cover({ fromNs: 1e9, toNs: 2e9 }, 1000);
    await flush();
    const before = asked.length;
    // Pan by 5 %: the neighbour tiles were prefetched, so nothing new is needed on screen.
    const c = cache.cover({ fromNs: 1.05e9, toNs: 2.05e9 }, 1000);
    expect(c.pending).toBe(0);
    expect(asked.length - before).toBeLessThanOrEqual(2); // at most new background neighbours
  });

  it('draws a missing tile from a coarser one meanwhile', async () => {
    const { cache, flush } = setup();
    cache.cover({ fromNs: 0, toNs: 60e9 }, 1000);
    await flush();
    const zoomed = cache.cover({ fromNs: 1e9, toNs: 1.5e9 }, 1000);
    expect(zoomed.pending).toBeGreaterThan(0);
    expect(zoomed.windows.length).toBeGreaterThan(0);
  });

  it('holds a bounded number of tiles however far one pans', async () => {
    const { cache, flush } = setup(20);
    for (let i = 0; i < 100; i++) {
      cache.cover({ fromNs: i * 0.5e9, toNs: i * 0.5e9 + 0.2e9 }, 800);
      await flush();
    }
    expect(cache.size).toBeLessThanOrEqual(20);
  });

  it('reports a failed tile and retries on request', async () => {
    let fail = true;
    const cache = new TileCache({
      fetch: (fromNs, toNs) => (fail ? Promise.reject(new Error('trace file is corrupt')) : Promise.resolve({ fromNs, toNs, bucketNs: 1, tracks: [] })),
      onChange: () => undefined,
      startNs: 0,
      endNs: 1e6,
    });
    cache.cover({ fromNs: 0, toNs: 1e6 }, 500);
    await new Promise((r) => setTimeout(r, 0));
    expect(cache.cover({ fromNs: 0, toNs: 1e6 }, 500).error).toBe('trace file is corrupt');
    fail = false;
    cache.retry();
    cache.cover({ fromNs: 0, toNs: 1e6 }, 500);
    await new Promise((r) => setTimeout(r, 0));
    expect(cache.cover({ fromNs: 0, toNs: 1e6 }, 500)).toMatchObject({ pending: 0, error: null });
  });
});

describe('TileCache by lane', () => {
  it('asks only for the lanes on screen, and for a lane scrolled into view only that lane', async () => {
    const asked: (number[] | undefined)[] = [];
    const pending: (() => void)[] = [];
    const cache = new TileCache({
      fetch: (fromNs, toNs, _w, tracks) => {
        asked.push(tracks);
        return new Promise<WindowDto>((resolve) => pending.push(() => resolve({ fromNs, toNs, bucketNs: 1, tracks: (tracks ?? []).filter((t) => t !== 3).map((id) => ({ id, spans: [], states: [], instants: [], counters: [] })) })));
      },
      onChange: () => undefined,
      startNs: 0,
      endNs: 1e9,
      maxInFlight: 100,
    });
    const flush = async () => {
      while (pending.length) pending.shift()?.();
      await new Promise((r) => setTimeout(r, 0));
    };
    const view = { fromNs: 0, toNs: 1e9 };
    cache.cover(view, 1000, [1, 2]);
    expect(asked.length).toBeGreaterThan(0);
    for (const a of asked) expect(a).toEqual([1, 2]);
    await flush();
    expect(cache.cover(view, 1000, [1, 2]).pending).toBe(0);
    asked.length = 0;
    const c = cache.cover(view, 1000, [1, 2, 3]);
    expect(c.pending).toBeGreaterThan(0);
    for (const a of asked) expect(a).toEqual([3]);
    await flush();
    // Lane 3 came back empty: it is known (drawn thin), not asked again.
    expect(cache.knows(view, 1000, 3)).toBe(true);
    asked.length = 0;
    expect(cache.cover(view, 1000, [1, 2, 3]).pending).toBe(0);
    expect(asked.filter((a) => a?.includes(3) && a.length === 1)).toHaveLength(0);
  });
});

describe('TileCache dispatch', () => {
  it('with a dispatcher, cover only queues: the requests go out together when the dispatcher runs them', async () => {
    const asked: number[] = [];
    const sends: (() => void)[] = [];
    const cache = new TileCache({
      fetch: (fromNs, toNs) => {
        asked.push(fromNs);
        return Promise.resolve({ fromNs, toNs, bucketNs: 1, tracks: [] });
      },
      onChange: () => undefined,
      startNs: 0,
      endNs: 60e9,
      maxInFlight: 100,
      dispatch: (send) => sends.push(send),
    });
    const c = cache.cover({ fromNs: 1e9, toNs: 2e9 }, 1000);
    expect(c.pending).toBeGreaterThan(0);
    expect(asked).toHaveLength(0);
    // One dispatch for the whole batch.
    cache.cover({ fromNs: 1e9, toNs: 2e9 }, 1000);
    expect(sends).toHaveLength(1);
    sends.shift()?.();
    expect(asked.length).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 0));
    expect(cache.cover({ fromNs: 1e9, toNs: 2e9 }, 1000).pending).toBe(0);
  });
});
