import type { Ns, TrackWindowDto, WindowDto } from '../contract';
import { KINDS, stateNames, type Role } from '../sim/events';
import type { WindowRange, WindowTrack } from './window_read';

const ROLE: Role[] = KINDS.map((k) => k.role);
/** The counter name of each counter kind (`mm_users`, `resident pages`...). */
const COUNTER: string[] = KINDS.map((k) => (k as { span?: string }).span ?? k.name);
const TASK_STATE_KIND = KINDS.findIndex((k) => k.name === 'task_state');

type Point = TrackWindowDto['counters'][number]['points'][number];

// Module-level, not made per track: tsx (the CLI and `serve` run from source) names every closure
// it makes with Object.defineProperty, and a whole-run window shapes thousands of tracks.
const byT = (x: { t: Ns }, y: { t: Ns }) => x.t - y.t;
function addPoint(counters: Map<number, Point[]>, kind: number, p: Point): void {
  let c = counters.get(kind);
  if (!c) counters.set(kind, (c = []));
  c.push(p);
}

/**
 * Shape one window read (WindowRange) into what the timeline draws (the contract's WindowDto),
 * in one pass per track: raw events and level-of-detail buckets become instants, counter points
 * and state intervals; spans are sorted once and nested by depth; a blocked task's span becomes
 * a state interval saying what it waits on; a lock's `held` span names its holder.
 * `actorName` names the holder of a lock.
 */
export function windowDto(w: WindowRange, actorName: (id: number) => string): WindowDto {
  return { fromNs: w.fromNs, toNs: w.toNs, bucketNs: w.level === null ? Math.max(1, Math.round(w.pxNs)) : 2 ** w.level, tracks: w.tracks.map((t) => trackDto(t, actorName)) };
}

function trackDto(t: WindowTrack, actorName: (id: number) => string): TrackWindowDto {
  const dto: TrackWindowDto = { id: t.actor, spans: [], states: [], instants: [], counters: [] };
  const counters = new Map<number, Point[]>();
  // A lane's state kind (a PASID entry, a DMA engine, a uacce queue); tasks' states come from their blocked spans.
  let stateKind = -1;
  const statePts: { t: Ns; v: number }[] = [];
  for (const e of t.events) {
    const role = ROLE[e.kind];
    if (role === 'counter') addPoint(counters, e.kind, { t: e.t, min: e.a, max: e.a, last: e.a });
    else if (role === 'state' && e.kind !== TASK_STATE_KIND) {
      stateKind = e.kind;
      statePts.push({ t: e.t, v: e.a });
    } else if (role === 'instant') dto.instants.push({ t: e.t, kind: KINDS[e.kind].name, count: 1, seq: e.seq });
  }
  for (const b of t.buckets) {
    // Buckets of a counter or state kind carry it; the actor's other events come together ('events').
    if (b.kind === null) {
      dto.instants.push({ t: b.t0, kind: 'events', count: b.n, seq: b.firstSeq });
      continue;
    }
    const role = ROLE[b.kind];
    if (role === 'counter' && b.vmin !== null) addPoint(counters, b.kind, { t: b.t0, min: b.vmin, max: b.vmax ?? b.vmin, last: b.vlast ?? b.vmin });
    else if (role === 'state' && b.kind !== TASK_STATE_KIND && b.vlast !== null) {
      stateKind = b.kind;
      statePts.push({ t: b.t0, v: b.vlast });
    } else if (role === 'instant') dto.instants.push({ t: b.t0, kind: KINDS[b.kind].name, count: b.n, seq: b.firstSeq });
  }
  // Raw events and folded buckets interleave: one stable sort puts each list in time order.
  for (const [kind, points] of counters) dto.counters.push({ name: COUNTER[kind], points: points.sort(byT) });
  dto.instants.sort(byT);
  if (stateKind >= 0) {
    statePts.sort(byT);
    const names = stateNames(stateKind);
    for (let i = 0; i < statePts.length; i++) {
      const p = statePts[i];
      dto.states.push({ t0: p.t, t1: i + 1 < statePts.length ? statePts[i + 1].t : null, state: names[p.v] ?? String(p.v), label: null });
    }
  }
  // Spans by start, longer first at one start; depth = how many earlier spans still enclose it.
  const open: (Ns | null)[] = [];
  let blocked = false;
  for (const s of t.spans.sort((a, b) => a.t0 - b.t0 || b.t1 - a.t1)) {
    const t1 = s.endSeq === null ? null : s.t1;
    if (s.state !== null) {
      // A blocked task: its state (S or D) and what it waits on, as window_read.ts read them.
      dto.states.push({ t0: s.t0, t1, state: s.state, label: s.name || null });
      blocked = true;
      continue;
    }
    while (open.length > 0 && open[open.length - 1] !== null && (open[open.length - 1] as Ns) <= s.t0) open.pop();
    const name = s.cat === 'release' ? 'release()' : s.cat === 'held' ? `held by ${s.holder === null ? '?' : actorName(s.holder)}` : s.name;
    dto.spans.push({ t0: s.t0, t1, name, depth: open.length, count: 1, seq: s.beginSeq, endSeq: s.endSeq });
    open.push(s.t1);
  }
  if (blocked && stateKind >= 0) dto.states.sort((a, b) => a.t0 - b.t0);
  return dto;
}
