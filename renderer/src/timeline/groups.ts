import type { AlarmDto, RunInfo, TrackDto, TrackGroupDto } from '../../../main/contract';
import type { SharedLaneOrder } from './lanes';
import { TYPE_ORDER } from './lanes';

/** How the lanes are shown: groups folded, lanes pinned to the top, a filter on names. */
export interface LaneViewState {
  /** Groups the user folded (true) or opened (false); absent: the default (see defaultCollapsed). */
  collapsed: ReadonlyMap<string, boolean>;
  /** Track ids pinned to the top, in the order they were pinned. */
  pinned: readonly number[];
  /** Lanes whose name (or group's name) contains this, case-insensitive; '' shows all. */
  filter: string;
}

/** One row of the lanes canvas, top to bottom. */
export type LaneRow =
  | { kind: 'group'; group: TrackGroupDto; collapsed: boolean; key: number; alarm: number; shown: number; members: TrackDto[] }
  | { kind: 'lane'; track: TrackDto; groupId: string | null; pinned: boolean };

/** The pinned section's id (a pseudo group). */
export const PINNED_GROUP = 'pinned';

/** How alarming an alarm kind is: 0 decisive (a kill, a deadlock, a hung task, a panic), 1 telling (a signal, a release() call), 2 neither. */
export function alarmRank(kind: string): number {
  if (['oom_kill', 'deadlock', 'hung_task', 'invariant', 'oom_none', 'panic', 'oom_reap_fail'].includes(kind)) return 0;
  if (['signal', 'release_begin'].includes(kind)) return 1;
  return 2;
}

/** Per track id, its most alarming rank in the run (absent: none). */
export function alarmRanks(alarms: readonly AlarmDto[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const a of alarms) {
    const r = alarmRank(a.kind);
    if (r < (out.get(a.actorId) ?? 3)) out.set(a.actorId, r);
  }
  return out;
}

/** The groups of a run; a run without any (an old service) gets one group per lane type. */
export function groupsOf(info: RunInfo): TrackGroupDto[] {
  if (info.groups?.length) return info.groups;
  const by = new Map<string, TrackGroupDto>();
  for (const t of info.tracks) {
    let g = by.get(t.type);
    if (!g) by.set(t.type, (g = { id: `type:${t.type}`, name: t.type, kind: 'subsystem', tracks: [] }));
    g.tracks.push(t.id);
  }
  return [...by.values()];
}

/** Runs with at most this many lanes open every group at first; bigger ones open only the alarming. */
export const OPEN_ALL_MAX_LANES = 60;

/** Whether a group starts folded: small runs show everything; big ones open the groups with a decisive alarm. */
export function defaultCollapsed(info: RunInfo, g: TrackGroupDto, rank: number): boolean {
  if (info.tracks.length <= OPEN_ALL_MAX_LANES) return false;
  return rank > 0;
}

const typeOrder = (t: TrackDto) => {
  const i = TYPE_ORDER.indexOf(t.type);
  return i < 0 ? TYPE_ORDER.length : i;
};

/**
 * The rows to draw: pinned lanes first, then the groups, alarming ones first (decisive, then
 * telling, then the rest in the service's order: processes, devices, subsystems); a folded group
 * is one summary row, an open one a header and its lanes (by type, alarming first). The filter
 * keeps the lanes whose name or group name matches, and opens their groups.
 */
export function buildRows(info: RunInfo, st: LaneViewState, shared?: SharedLaneOrder): LaneRow[] {
  const ranks = alarmRanks(info.alarms ?? []);
  const byId = new Map(info.tracks.map((t) => [t.id, t]));
  const q = st.filter.trim().toLowerCase();
  const pinned = new Set(st.pinned);
  const rows: LaneRow[] = [];
  for (const id of st.pinned) {
    const t = byId.get(id);
    if (t && (!q || t.name.toLowerCase().includes(q))) rows.push({ kind: 'lane', track: t, groupId: PINNED_GROUP, pinned: true });
  }
  const laneRank = (t: TrackDto) => Math.min(ranks.get(t.id) ?? 3, shared?.alarmNames.has(t.name) ? 0 : 3);
  const groups = groupsOf(info).map((g, i) => {
    const members = g.tracks.map((id) => byId.get(id)).filter((t): t is TrackDto => t !== undefined);
    const rank = Math.min(3, ...members.map(laneRank));
    return { g, i, members, rank };
  });
  const sharedRank = (g: TrackGroupDto) => shared?.rank.get(g.name) ?? Number.MAX_SAFE_INTEGER;
  groups.sort((a, b) => Math.min(a.rank, 2) - Math.min(b.rank, 2) || sharedRank(a.g) - sharedRank(b.g) || a.i - b.i);
  let key = 0;
  for (const { g, members, rank } of groups) {
    key--;
    const gq = q && g.name.toLowerCase().includes(q);
    const shown = members
      .filter((t) => !pinned.has(t.id) && (!q || gq || t.name.toLowerCase().includes(q)))
      .sort((a, b) => typeOrder(a) - typeOrder(b) || Math.min(laneRank(a), 2) - Math.min(laneRank(b), 2) || (shared?.rank.get(a.name) ?? 0) - (shared?.rank.get(b.name) ?? 0) || a.id - b.id);
    if (!shown.length) continue;
    // A filter that matches lanes inside a group opens it (unless the user folded it since).
    const collapsed = st.collapsed.get(g.id) ?? (q && !gq ? false : defaultCollapsed(info, g, rank));
    rows.push({ kind: 'group', group: g, collapsed, key, alarm: rank, shown: shown.length, members: shown });
    if (!collapsed) for (const t of shown) rows.push({ kind: 'lane', track: t, groupId: g.id, pinned: false });
  }
  return rows;
}
