import type { TrackWindowDto, WindowDto } from '../../../main/contract';

type Span = TrackWindowDto['spans'][number];
type State = TrackWindowDto['states'][number];
type Instant = TrackWindowDto['instants'][number];
type Point = TrackWindowDto['counters'][number]['points'][number];

/** One lane's data for one frame: the union of the tiles that cover the view, deduplicated. */
export interface LaneFrame {
  spans: Span[];
  states: State[];
  instants: Instant[];
  counters: Map<string, Point[]>;
}

/**
 * Merge the tiles of a view into per-lane lists sorted by time. Spans and states that cross tile
 * borders come back in each tile; they are kept once. Tiles of different levels (stand-ins) may
 * overlap; a finer item wins nothing here, the first seen is kept, which is harmless for drawing.
 */
export function mergeWindows(windows: readonly WindowDto[], only?: ReadonlySet<number>): Map<number, LaneFrame> {
  const out = new Map<number, LaneFrame>();
  // How many tiles hold each lane: a lane in one tile takes its lists as they are (no copying, no dedupe).
  const n = new Map<number, number>();
  for (const w of windows) for (const t of w.tracks) if (!only || only.has(t.id)) n.set(t.id, (n.get(t.id) ?? 0) + 1);
  const seen = new Map<number, { s: Set<number | string>; t: Set<number>; i: Set<number> }>();
  for (const w of windows) {
    for (const t of w.tracks) {
      const k = n.get(t.id);
      if (k === undefined) continue;
      if (k === 1) {
        const counters = new Map<string, Point[]>();
        for (const c of t.counters) counters.set(c.name, c.points);
        out.set(t.id, { spans: t.spans, states: t.states, instants: t.instants, counters });
        continue;
      }
      let f = out.get(t.id);
      let s = seen.get(t.id);
      if (!f || !s) {
        out.set(t.id, (f = { spans: [], states: [], instants: [], counters: new Map() }));
        seen.set(t.id, (s = { s: new Set(), t: new Set(), i: new Set() }));
      }
      for (const x of t.spans) {
        const key = x.seq ?? `${x.t0}|${x.depth}|${x.name}`;
        if (!s.s.has(key)) {
          s.s.add(key);
          f.spans.push(x);
        }
      }
      for (const x of t.states) {
        if (!s.t.has(x.t0)) {
          s.t.add(x.t0);
          f.states.push(x);
        }
      }
      for (const x of t.instants) {
        if (!s.i.has(x.seq)) {
          s.i.add(x.seq);
          f.instants.push(x);
        }
      }
      for (const c of t.counters) {
        let pts = f.counters.get(c.name);
        if (!pts) f.counters.set(c.name, (pts = []));
        for (const p of c.points) pts.push(p);
      }
    }
  }
  for (const [id, f] of out) {
    if (n.get(id) === 1) continue;
    f.states.sort((a, b) => a.t0 - b.t0);
    f.instants.sort((a, b) => a.t - b.t);
    f.spans.sort((a, b) => a.depth - b.depth || a.t0 - b.t0);
    for (const [name, pts] of f.counters) {
      pts.sort((a, b) => a.t - b.t);
      // Tiles overlap at their borders: keep one point per time.
      const uniq = pts.filter((p, i) => i === 0 || p.t !== pts[i - 1].t);
      f.counters.set(name, uniq);
    }
  }
  return out;
}

/** What a lane has ever shown: its layout grows with it and never shrinks (no jumping lanes). */
export interface LaneProfile {
  states: boolean;
  counters: string[];
  maxDepth: number;
  instants: boolean;
  /** The lane has shown something alarming (D state, release(), a kill, a signal): it goes first. */
  alarm: boolean;
}

/** What makes a lane alarming. */
const ALARM_KINDS = new Set(['oom_kill', 'deadlock', 'hung_task', 'invariant', 'signal']);

/** Fold a frame into the profiles; true if any profile grew (the layout must be redone). */
export function updateProfiles(profiles: Map<number, LaneProfile>, frame: Map<number, LaneFrame>): boolean {
  let grew = false;
  for (const [id, f] of frame) {
    let p = profiles.get(id);
    if (!p) {
      profiles.set(id, (p = { states: false, counters: [], maxDepth: -1, instants: false, alarm: false }));
      grew = true;
    }
    if (!p.states && f.states.length) {
      p.states = true;
      grew = true;
    }
    if (!p.instants && f.instants.length) {
      p.instants = true;
      grew = true;
    }
    for (const name of f.counters.keys()) {
      if (!p.counters.includes(name)) {
        p.counters.push(name);
        grew = true;
      }
    }
    for (const s of f.spans) {
      if (s.depth > p.maxDepth) {
        p.maxDepth = s.depth;
        grew = true;
      }
    }
    if (!p.alarm && (f.states.some((s) => s.state === 'D') || f.spans.some((s) => s.name === 'release()') || f.instants.some((e) => ALARM_KINDS.has(e.kind)))) {
      p.alarm = true;
      grew = true;
    }
  }
  return grew;
}

/** What lane frame `f` shows, fresh (lane height follows what is visible; see layoutRows). */
export function profileOf(f: LaneFrame): LaneProfile {
  let maxDepth = -1;
  for (const s of f.spans) if (s.depth > maxDepth) maxDepth = s.depth;
  return {
    states: f.states.length > 0,
    counters: [...f.counters.keys()],
    maxDepth,
    instants: f.instants.length > 0,
    alarm: f.states.some((s) => s.state === 'D') || f.spans.some((s) => s.name === 'release()') || f.instants.some((e) => ALARM_KINDS.has(e.kind)),
  };
}

/**
 * A folded group's summary: its lanes in one. Top-level spans of every member on one row
 * (release() drawn last, so it is on top), the states of its first lane with states (a process's
 * main task, a device's queue), every instant. Counters stay in the open lanes.
 */
export function summaryFrame(members: readonly (LaneFrame | undefined)[]): LaneFrame {
  const out: LaneFrame = { spans: [], states: [], instants: [], counters: new Map() };
  for (const f of members) {
    if (!f) continue;
    for (const s of f.spans) if (s.depth === 0 || s.name === 'release()') out.spans.push(s.depth === 0 ? s : { ...s, depth: 0 });
    if (!out.states.length && f.states.length) out.states = f.states;
    for (const e of f.instants) out.instants.push(e);
  }
  out.spans.sort((a, b) => (a.name === 'release()' ? 1 : 0) - (b.name === 'release()' ? 1 : 0) || a.t0 - b.t0);
  out.instants.sort((a, b) => a.t - b.t);
  return out;
}

/** Alarm instants of one lane from the run's alarm index (openRun), by time, with what identifies them in tiles. */
export interface IndexedInstants {
  list: readonly Instant[];
  seqs: ReadonlySet<number>;
  kinds: ReadonlySet<string>;
  /** `list` is in time order (the index is by seq, which time follows). */
  sorted: boolean;
}

/** A lane's indexed alarms, prepared once per run for withIndexed. */
export function indexedInstants(list: readonly Instant[]): IndexedInstants {
  let sorted = true;
  for (let i = 1; i < list.length && sorted; i++) if (list[i].t < list[i - 1].t) sorted = false;
  return { list, seqs: new Set(list.map((e) => e.seq)), kinds: new Set(list.map((e) => e.kind)), sorted };
}

/**
 * A lane's instants with its indexed alarms of [fromNs, toNs] put in, in time order. Tiles may
 * hold the same event under a bucket's anonymous kind, or merged with others of its kind: the
 * indexed copy, which knows its kind, replaces them. What a stable sort of (tile instants left,
 * then the indexed ones) by time gives, done as one merge of the two sorted lists (a tile's
 * instants are in time order; a sort only if they are not).
 */
export function withIndexed(instants: readonly Instant[], ix: IndexedInstants, fromNs: number, toNs: number): Instant[] {
  const kept: Instant[] = [];
  let sorted = ix.sorted;
  for (const e of instants) {
    if (ix.seqs.has(e.seq) || (e.count > 1 && ix.kinds.has(e.kind))) continue;
    if (kept.length && e.t < kept[kept.length - 1].t) sorted = false;
    kept.push(e);
  }
  const add: Instant[] = [];
  for (const e of ix.list) if (e.t >= fromNs && e.t <= toNs) add.push(e);
  if (!sorted) return kept.concat(add).sort((a, b) => a.t - b.t);
  if (!add.length) return kept;
  const out = new Array<Instant>(kept.length + add.length);
  let i = 0;
  let j = 0;
  let o = 0;
  while (i < kept.length && j < add.length) out[o++] = add[j].t < kept[i].t ? add[j++] : kept[i++];
  while (i < kept.length) out[o++] = kept[i++];
  while (j < add.length) out[o++] = add[j++];
  return out;
}

