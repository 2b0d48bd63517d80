import { describe, expect, it } from 'vitest';
import type { TrackDto, WindowDto } from '../../../main/contract';
import { indexedInstants, mergeWindows, updateProfiles, withIndexed, type LaneProfile } from '../../../renderer/src/timeline/frame';
import { laneAt, layoutLanes, sameHeights } from '../../../renderer/src/timeline/lanes';

const tile = (fromNs: number, toNs: number, tracks: WindowDto['tracks']): WindowDto => ({ fromNs, toNs, bucketNs: 1, tracks });
const empty = { spans: [], states: [], instants: [], counters: [] };

describe('mergeWindows', () => {
  it('keeps a span that crosses a tile border once, and joins counter points in time order', () => {
    const release = { t0: 50, t1: 250, name: 'release()', depth: 3, count: 1 };
    const f = mergeWindows([
      tile(100, 200, [{ id: 7, ...empty, spans: [release], counters: [{ name: 'mm_users', points: [{ t: 150, min: 1, max: 1, last: 1 }] }] }]),
      tile(0, 100, [{ id: 7, ...empty, spans: [release], counters: [{ name: 'mm_users', points: [{ t: 10, min: 2, max: 2, last: 2 }] }] }]),
    ]);
    const lane = f.get(7);
    expect(lane?.spans).toHaveLength(1);
    expect(lane?.counters.get('mm_users')?.map((p) => p.t)).toEqual([10, 150]);
  });
});

describe('lane layout', () => {
  const tracks: TrackDto[] = [
    { id: 1, name: 'kernel log', type: 'log' },
    { id: 10, name: 'oom killer', type: 'oom' },
    { id: 17, name: 'accel-app:2', type: 'task' },
    { id: 20, name: 'worker0:4', type: 'task' },
    { id: 23, name: 'worker1:6', type: 'task' },
    { id: 15, name: 'mm accel-app:1', type: 'mm' },
  ];

  it('puts the OOM killer first, then the alarming tasks, and sizes lanes to what they show', () => {
    const profiles = new Map<number, LaneProfile>();
    const frame = mergeWindows([
      tile(0, 1e9, [
        { id: 10, ...empty, instants: [{ t: 5, kind: 'oom_kill', count: 1, seq: 99 }] },
        { id: 17, ...empty, states: [{ t0: 5, t1: null, state: 'D', label: 'completion accel0 q0 stopped' }], spans: [{ t0: 6, t1: null, name: 'release()', depth: 4, count: 1 }] },
        { id: 20, ...empty, states: [{ t0: 0, t1: null, state: 'S', label: 'user: computing' }] },
        { id: 23, ...empty, instants: [{ t: 9, kind: 'signal', count: 1, seq: 120 }] },
        { id: 15, ...empty, counters: [{ name: 'mm_users', points: [{ t: 0, min: 1, max: 1, last: 1 }] }] },
      ]),
    ]);
    expect(updateProfiles(profiles, frame)).toBe(true);
    expect(updateProfiles(profiles, frame)).toBe(false); // nothing new: no relayout
    const { lanes, height } = layoutLanes(tracks, profiles);
    expect(lanes.map((l) => l.track.name)).toEqual(['oom killer', 'accel-app:2', 'worker1:6', 'worker0:4', 'mm accel-app:1', 'kernel log']);
    const victim = lanes[1];
    expect(victim.spanRows).toBe(5); // release() at depth 4 needs five rows
    expect(victim.h).toBeGreaterThan(lanes[3].h);
    expect(height).toBe(lanes.reduce((s, l) => s + l.h, 0));
    expect(laneAt(lanes, victim.y + 1)?.track.id).toBe(17);
    expect(laneAt(lanes, height + 5)).toBeNull();
  });
});

describe('withIndexed', () => {
  type I = { t: number; kind: string; count: number; seq: number };
  // What the timeline did before: drop the tile's copies, add the indexed ones in view, stable sort by time.
  const reference = (tile: I[], list: I[], from: number, to: number) => {
    const seqs = new Set(list.map((e) => e.seq));
    const kinds = new Set(list.map((e) => e.kind));
    const out = tile.filter((e) => !seqs.has(e.seq) && !(kinds.has(e.kind) && e.count > 1));
    for (const e of list) if (e.t >= from && e.t <= to) out.push(e);
    return out.sort((a, b) => a.t - b.t);
  };

  it('puts the indexed alarms of the view in time order, replacing the tile\'s copy, a merged bucket of their kind, never the tile\'s other instants', () => {
    const tile: I[] = [
      { t: 10, kind: 'events', count: 5, seq: 1 },
      { t: 20, kind: 'oom_kill', count: 1, seq: 7 },
      { t: 20, kind: 'signal', count: 3, seq: 8 },
      { t: 30, kind: 'printk', count: 1, seq: 9 },
    ];
    const list: I[] = [
      { t: 5, kind: 'oom_kill', count: 1, seq: 2 },
      { t: 20, kind: 'oom_kill', count: 1, seq: 7 },
      { t: 25, kind: 'signal', count: 1, seq: 12 },
      { t: 90, kind: 'signal', count: 1, seq: 40 },
    ];
    const got = withIndexed(tile, indexedInstants(list), 0, 50);
    expect(got.map((e) => e.seq)).toEqual([2, 1, 7, 12, 9]);
    expect(got).toEqual(reference(tile, list, 0, 50));
    expect(got[2]).toBe(list[1]);
    // The tile's list is left as it was.
    expect(tile).toHaveLength(4);
  });

  it('gives what the stable sort gave, ties and unsorted tiles included', () => {
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const kinds = ['events', 'oom_kill', 'signal', 'printk'];
    for (let round = 0; round < 200; round++) {
      const tile: I[] = Array.from({ length: rnd(30) }, (_, i) => ({ t: rnd(40), kind: kinds[rnd(4)], count: 1 + rnd(3), seq: 100 + i }));
      if (round % 3) tile.sort((a, b) => a.t - b.t);
      const list: I[] = Array.from({ length: rnd(8) }, (_, i) => ({ t: rnd(60), kind: kinds[1 + rnd(2)], count: 1, seq: i % 2 ? 100 + rnd(30) : 1000 + i }));
      if (round % 5) list.sort((a, b) => a.t - b.t);
      const from = rnd(20);
      const to = from + rnd(40);
      expect(withIndexed(tile, indexedInstants(list), from, to)).toEqual(reference(tile, list, from, to));
    }
  });
});

describe('sameHeights', () => {
  it('tells whether two layouts stack the same lane heights', () => {
    const t = (id: number): TrackDto => ({ id, name: `t${id}`, type: 'task' });
    const a = layoutLanes([t(1), t(2)], new Map()).lanes;
    expect(sameHeights(a, layoutLanes([t(1), t(2)], new Map()).lanes)).toBe(true);
    expect(sameHeights(a, layoutLanes([t(1)], new Map()).lanes)).toBe(false);
    const tall = new Map<number, LaneProfile>([[2, { states: true, counters: [], maxDepth: 1, instants: true, alarm: false }]]);
    expect(sameHeights(a, layoutLanes([t(1), t(2)], tall).lanes)).toBe(false);
  });
});
