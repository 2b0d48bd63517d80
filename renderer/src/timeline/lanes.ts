import type { TrackDto, TrackType } from '../../../main/contract';
import type { LaneProfile } from './frame';
import type { LaneRow } from './groups';

/** Where one lane sits in the lanes canvas (CSS pixels) and where its parts go inside it. */
export interface LaneLayout {
  track: TrackDto;
  y: number;
  h: number;
  /** Rows inside the lane, as offsets from `y` (null if the lane has none of that). */
  stateY: number | null;
  counterY: number | null;
  spanY: number | null;
  spanRows: number;
  instantY: number | null;
  /** The row this lane draws (layoutRows): a group's header or summary, or a lane. */
  row?: LaneRow;
}

export const STATE_H = 14;
export const COUNTER_H = 24;
export const SPAN_ROW_H = 13;
export const INSTANT_H = 9;
const PAD = 3;
const MIN_H = 18;
/** Height of an open group's header row. */
export const HEADER_H = 20;

/**
 * Lane order: the story reads top-down, the OOM killer and reaper (who gets killed), the tasks (who
 * blocks; within them the alarming ones first: D state, release(), killed), then the mm refcounts,
 * the device and its PASID, IOMMU, queues, locks, memory, logs.
 */
export const TYPE_ORDER: readonly TrackType[] = ['oom', 'task', 'mm', 'device', 'pasid', 'iommu', 'queue', 'lock', 'memory', 'log', 'scenario'];

/**
 * A lane order shared by two timelines (the compare view), so the same actor sits at the same
 * height in both: lanes alarming in either run go first, then by `rank` (by name).
 */
export interface SharedLaneOrder {
  alarmNames: ReadonlySet<string>;
  rank: ReadonlyMap<string, number>;
}

/** One lane's rows for what it shows (profile `p`), from `y`. */
function laneLayout(track: TrackDto, y: number, p: LaneProfile | undefined, minH = MIN_H): LaneLayout {
  let h = PAD;
  const lane: LaneLayout = { track, y, h: 0, stateY: null, counterY: null, spanY: null, spanRows: 0, instantY: null };
  if (p?.states) {
    lane.stateY = h;
    h += STATE_H + 1;
  }
  if (p && p.counters.length) {
    lane.counterY = h;
    h += COUNTER_H + 1;
  }
  if (p && p.maxDepth >= 0) {
    lane.spanY = h;
    lane.spanRows = p.maxDepth + 1;
    h += lane.spanRows * SPAN_ROW_H;
  }
  if (p?.instants) {
    lane.instantY = h;
    h += INSTANT_H;
  }
  lane.h = Math.max(minH, h + PAD);
  return lane;
}

/**
 * Stack rows (buildRows) top to bottom: a lane as tall as what it shows in the view (`profiles`,
 * by track id; an empty lane is thin), a folded group as tall as its summary (profiles by the
 * row's negative key), an open group's header HEADER_H.
 */
export function layoutRows(rows: readonly LaneRow[], profiles: ReadonlyMap<number, LaneProfile>): { lanes: LaneLayout[]; height: number } {
  const lanes: LaneLayout[] = [];
  let y = 0;
  for (const row of rows) {
    let lane: LaneLayout;
    if (row.kind === 'lane') lane = laneLayout(row.track, y, profiles.get(row.track.id));
    else {
      const track: TrackDto = { id: row.key, name: row.group.name, type: row.members[0]?.type ?? 'scenario' };
      lane = row.collapsed ? laneLayout(track, y, profiles.get(row.key), 24) : { track, y, h: HEADER_H, stateY: null, counterY: null, spanY: null, spanRows: 0, instantY: null };
    }
    lane.row = row;
    lanes.push(lane);
    y += lane.h;
  }
  return { lanes, height: y };
}

/** Do two layouts stack the same heights (so nothing on screen moved)? */
export function sameHeights(a: readonly LaneLayout[], b: readonly LaneLayout[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i].h !== b[i].h) return false;
  return true;
}

/** Index of the first lane whose bottom is below `y` (binary search: lanes are stacked). */
export function firstLaneBelow(lanes: readonly LaneLayout[], y: number): number {
  let lo = 0;
  let hi = lanes.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (lanes[mid].y + lanes[mid].h <= y) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Stack the lanes top to bottom, each as tall as what it has shown so far needs. */
export function layoutLanes(tracks: readonly TrackDto[], profiles: ReadonlyMap<number, LaneProfile>, shared?: SharedLaneOrder): { lanes: LaneLayout[]; height: number } {
  const order = (t: TrackType) => {
    const i = TYPE_ORDER.indexOf(t);
    return i < 0 ? TYPE_ORDER.length : i;
  };
  const alarm = (t: TrackDto) => (profiles.get(t.id)?.alarm || shared?.alarmNames.has(t.name) ? 0 : 1);
  const rank = (t: TrackDto) => shared?.rank.get(t.name) ?? Number.MAX_SAFE_INTEGER;
  const sorted = [...tracks].sort((a, b) => order(a.type) - order(b.type) || alarm(a) - alarm(b) || rank(a) - rank(b) || a.id - b.id);
  const lanes: LaneLayout[] = [];
  let y = 0;
  for (const track of sorted) {
    const p = profiles.get(track.id);
    let h = PAD;
    const lane: LaneLayout = { track, y, h: 0, stateY: null, counterY: null, spanY: null, spanRows: 0, instantY: null };
    if (p?.states) {
      lane.stateY = h;
      h += STATE_H + 1;
    }
    if (p && p.counters.length) {
      lane.counterY = h;
      h += COUNTER_H + 1;
    }
    if (p && p.maxDepth >= 0) {
      lane.spanY = h;
      lane.spanRows = p.maxDepth + 1;
      h += lane.spanRows * SPAN_ROW_H;
    }
    if (p?.instants) {
      lane.instantY = h;
      h += INSTANT_H;
    }
    h = Math.max(MIN_H, h + PAD);
    lane.h = h;
    lanes.push(lane);
    y += h;
  }
  return { lanes, height: y };
}

/** The lane at vertical position `y` of the lanes canvas, if any. */
export function laneAt(lanes: readonly LaneLayout[], y: number): LaneLayout | null {
  const i = firstLaneBelow(lanes, y);
  const l = lanes[i];
  return l && y >= l.y && y < l.y + l.h ? l : null;
}
