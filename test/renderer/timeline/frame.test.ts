import { describe, expect, it } from 'vitest';
import type { TrackDto, WindowDto } from '../../../main/contract';
import { mergeWindows, updateProfiles, type LaneProfile } from '../../../renderer/src/timeline/frame';
import { laneAt, layoutLanes } from '../../../renderer/src/timeline/lanes';

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
