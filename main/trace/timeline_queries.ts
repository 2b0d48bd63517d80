import type { AlarmDto, AreaAggregateDto, DensityDto, EventRowDto, TrackDto, TrackGroupDto } from '../contract';
import { KIND, KINDS } from '../sim/events';
import { fmtNs } from '../sim/time';
import type { TraceDb } from './db';
import { decodeLod, lodAt } from './lod';
import type { ActorInfo } from './meta';
import type { EventRow } from './rows';
import { LOD_ALL_MIN_LEVEL, LOD_ALL_RECORD, LOD_LEVELS, LOD_RECORD, TIMELINE_INDEX_NAME, TIMELINE_WHERE } from './schema';

/**
 * The timeline's questions to a trace that are not a window: what opening a run needs at once (the
 * alarm index, the lane groups, the density for the minimap: a constant number of queries, read
 * through the partial index `events_timeline` on the rare kinds, so it does not grow with the
 * trace), search over event text, and aggregates of an area (lanes × time).
 */

/** Kinds of the alarm index, and how many of each at most (a run with more is not a story). */
export const ALARM_KINDS = ['oom_kill', 'deadlock', 'hung_task', 'invariant', 'oom_none', 'panic', 'oom_reap_fail', 'signal', 'mm_freed', 'release_begin'] as const;
export const ALARMS_PER_KIND = 64;
/** The minimap's resolution: at most this many buckets over the run. */
export const DENSITY_BUCKETS = 1024;

const COLS = 'seq, t_ns, kind, actor, cause_seq, a, b, args';

/** What these queries need of a trace: its connection and the reader's naming of events and actors. */
export interface TimelineSource {
  db: TraceDb;
  row(r: EventRow): EventRowDto;
  actors(): ActorInfo[];
  actorName(id: number): string;
  seqAtOrBefore(t: number): number;
}

/** Rows of one prepared statement (cached by the connection: every SQL text here is one of a few). */
function rows(db: TraceDb, sql: string, ...params: unknown[]): unknown[][] {
  return db.guard(() => db.stmt(sql).raw(true).all(...params) as unknown[][]);
}

/**
 * The condition that selects the indexed kinds. The index's own WHERE when the trace has it (the
 * planner uses a partial index only for a query that repeats its condition), else the same list:
 * an older trace gets a scan, slower but the same answer.
 */
function indexedWhere(db: TraceDb): string {
  return timelineIndexOf(db)?.where ?? `(${TIMELINE_WHERE})`;
}

/** The trace's partial index `events_timeline`: its WHERE, and the kind ids it lists (null if it has no such index, or one whose WHERE is not a list of kinds). */
function timelineIndexOf(db: TraceDb): { where: string; kinds: Set<number> } | null {
  const sql = rows(db, "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?", TIMELINE_INDEX_NAME)[0]?.[0];
  if (typeof sql !== 'string') return null;
  const i = sql.toUpperCase().lastIndexOf(' WHERE ');
  if (i < 0) return null;
  const where = sql.slice(i + 7);
  // Spliced into queries only when it is a plain list of kinds (the two forms writers make): a
  // file from elsewhere may hold any deterministic expression there, even a costly one.
  const kinds = kindsOfWhere(where);
  if (kinds.size === 0) return null;
  // In parentheses: it is ANDed with other terms, and an OR chain binds looser than AND.
  return { where: `(${where})`, kinds };
}

/**
 * The kind ids a timeline index's WHERE lists: `kind IN (5, 9)` (traces recorded before the OR
 * form) or `kind = 5 OR kind = 9` (schema.ts TIMELINE_WHERE); anything else lists none, and every
 * kind is then read by a scan.
 */
export function kindsOfWhere(where: string): Set<number> {
  const list = /^\s*kind\s+IN\s*\(([\d\s,]*)\)\s*$/i.exec(where);
  if (list) return new Set(list[1].split(',').map((x) => Number(x.trim())));
  const terms = where.split(/\s+OR\s+/i).map((t) => /^\s*kind\s*=\s*(\d+)\s*$/i.exec(t));
  return new Set(terms.every((m) => m !== null) ? terms.map((m) => Number((m as RegExpExecArray)[1])) : []);
}

/**
 * Every event of kind id `kind` in seq order, as `cols`: through the partial index when the
 * trace's index holds that kind (a trace recorded before printk joined it scans, to the same answer).
 */
export function rowsOfKind(db: TraceDb, kind: number, cols: string): unknown[][] {
  const ix = timelineIndexOf(db);
  const where = ix?.kinds.has(kind) ? `${ix.where} AND kind = ?` : 'kind = ?';
  return rows(db, `SELECT ${cols} FROM events WHERE ${where} ORDER BY seq`, kind);
}

export interface TimelineIndex {
  alarms: AlarmDto[];
  groups: TrackGroupDto[];
  density: DensityDto;
}

/** Alarms, lane groups and density of a run: a constant number of queries through the partial index. */
export function timelineIndex(src: TimelineSource, tracks: readonly TrackDto[], endNs: number): TimelineIndex {
  const { db } = src;
  const where = indexedWhere(db);
  const ofKind = (kind: string, limit: number) => rows(db, `SELECT ${COLS} FROM events WHERE ${where} AND kind = ? ORDER BY seq LIMIT ?`, KIND[kind as keyof typeof KIND], limit) as EventRow[];
  return {
    alarms: alarmIndex(src, ALARM_KINDS.flatMap((k) => ofKind(k, ALARMS_PER_KIND)), ofKind('release_end', ALARMS_PER_KIND * 4)),
    groups: groupTracks(tracks, {
      taskNew: ofKind('task_new', 100_000),
      mmNew: ofKind('mm_new', 100_000),
      pasidAlloc: ofKind('pasid_alloc', 100_000),
      // SQLite takes a min() query's bare columns from the row with the minimum.
      firstOf: (kind) => rows(db, `SELECT ${COLS}, min(seq) FROM events WHERE ${where} AND kind = ? GROUP BY actor`, KIND[kind]) as EventRow[],
    }),
    density: density(db, endNs),
  };
}

/** Alarm rows (any order) as AlarmDtos by time, labelled in the kernel's words. */
export function alarmIndex(r: Pick<TimelineSource, 'row'>, raw: readonly EventRow[], releaseEnds: readonly EventRow[] = []): AlarmDto[] {
  const evs = [...raw].sort((x, y) => x[0] - y[0]).map((x) => r.row(x));
  const kills = evs.filter((e) => e.kind === 'oom_kill').map((e) => e.seq);
  // Each release() entry with its return (the next release_end of that actor, mm and PASID): the label says how long it took, at any zoom.
  const ends = [...releaseEnds].sort((x, y) => x[0] - y[0]);
  const used = new Set<number>();
  const durationOf = (e: EventRowDto): number | null => {
    const end = ends.find((x) => x[0] > e.seq && x[3] === e.actorId && x[5] === e.a && x[6] === e.b && !used.has(x[0]));
    if (!end) return null;
    used.add(end[0]);
    return end[1] - e.tNs;
  };
  return evs.map((e) => {
    let text = alarmText(e, kills);
    if (e.kind === 'release_begin') {
      const d = durationOf(e);
      text = d === null ? 'release() never returned' : `release() ${fmtNs(d)}`;
    }
    return { seq: e.seq, tNs: e.tNs, kind: e.kind, actorId: e.actorId, text };
  });
}

/** An alarm's label: "OOM kill #2: worker3 (pid 10)", "SIGKILL (OOM kill #1)", "release() entered"... */
export function alarmText(e: EventRowDto, kills: readonly number[]): string {
  const a = e.args ?? {};
  switch (e.kind) {
    case 'oom_kill': {
      const n = kills.indexOf(e.seq) + 1;
      const comm = typeof a.comm === 'string' ? a.comm : `actor ${e.a}`;
      return `OOM kill #${n}: ${comm}${a.pid !== undefined ? ` (pid ${String(a.pid)})` : ''}`;
    }
    case 'signal': {
      const name = e.a === 9 ? 'SIGKILL' : `signal ${e.a}`;
      // The kill this signal came from: its cause, or the last OOM kill before it when sent by oom_kill_process.
      let k = kills.indexOf(e.causeSeq);
      if (k < 0 && typeof a.from === 'string' && a.from.startsWith('oom_kill')) k = kills.filter((s) => s < e.seq).length - 1;
      return k >= 0 ? `${name} (OOM kill #${k + 1})` : name;
    }
    case 'mm_freed':
      return 'memory freed';
    case 'release_begin':
      return 'release() entered';
    case 'hung_task':
      return `hung_task: ${e.actor} blocked > ${e.a} s`;
    case 'deadlock':
      return `deadlock: ${e.actor}`;
    default:
      return e.text.length > 60 ? `${e.text.slice(0, 59)}…` : e.text;
  }
}

/** The events that tie lanes to a process: task and mm creation, PASID allocation, and each lane's first PASID entry, DMA state and bond. */
export interface GroupFacts {
  taskNew: readonly EventRow[];
  mmNew: readonly EventRow[];
  pasidAlloc: readonly EventRow[];
  firstOf: (kind: 'pasid_entry' | 'dma_state' | 'bond') => readonly EventRow[];
}

const SUBSYSTEMS: { id: string; name: string; test: (t: TrackDto) => boolean }[] = [
  { id: 'sys:oom', name: 'OOM killer', test: (t) => t.type === 'oom' || /\boom/.test(t.name) },
  { id: 'sys:iommu', name: 'IOMMU and SVA', test: (t) => t.type === 'iommu' || t.type === 'pasid' || /iommu|dmar|iopf|prq|pasid|sva|bond/.test(t.name) },
  { id: 'sys:locks', name: 'Locks', test: (t) => t.type === 'lock' },
  { id: 'sys:wq', name: 'Workqueues', test: (t) => t.type === 'queue' || /^kworker|^wq /.test(t.name) },
  { id: 'sys:other', name: 'Memory, logs and kernel threads', test: () => true },
];

/**
 * Every lane in exactly one group: a user process (its tasks, its mm and mmap_lock, its PASID
 * entries and bonds, the device queue bound to its PASID), then a device (its lanes left over),
 * then the kernel subsystems (OOM, IOMMU, locks, workqueues, the rest). Processes are told apart
 * by tgid (task_new.b; mm_new.a is the owner's tgid), as the kernel does.
 */
export function groupTracks(tracks: readonly TrackDto[], f: GroupFacts): TrackGroupDto[] {
  const byId = new Map(tracks.map((t) => [t.id, t]));
  const groupOf = new Map<number, string>();
  const groups = new Map<string, TrackGroupDto>();
  const add = (gid: string, name: string, kind: TrackGroupDto['kind'], actor: number) => {
    if (!byId.has(actor) || groupOf.has(actor)) return;
    let g = groups.get(gid);
    if (!g) groups.set(gid, (g = { id: gid, name, kind, tracks: [] }));
    g.tracks.push(actor);
    groupOf.set(actor, gid);
  };
  const procName = new Map<number, string>();
  const userTgids = new Set<number>();
  for (const e of f.taskNew) {
    let type = '';
    let comm = '';
    try {
      const a = JSON.parse(e[7] ?? '{}') as { type?: string; comm?: string };
      type = a.type ?? '';
      comm = a.comm ?? '';
    } catch {
      /* no args: not a user task */
    }
    if (type !== 'user') continue;
    userTgids.add(e[6]);
    if (!procName.has(e[6]) || e[5] === e[6]) procName.set(e[6], `${comm || byId.get(e[3])?.name || 'process'} (tgid ${e[6]})`);
  }
  const pgid = (tgid: number) => `proc:${tgid}`;
  const pname = (tgid: number) => procName.get(tgid) ?? `tgid ${tgid}`;
  const mmTgid = new Map<number, number>();
  for (const e of f.mmNew) if (userTgids.has(e[5])) mmTgid.set(e[3], e[5]);
  for (const e of f.taskNew) if (userTgids.has(e[6]) && e[7]?.includes('"user"')) add(pgid(e[6]), pname(e[6]), 'process', e[3]);
  // Locks by the last word of their name: the mm's mmap_lock is `rwsem mmap_lock <label>` for `mm <label>`.
  const locksByLabel = new Map<string, number[]>();
  for (const t of tracks) {
    if (t.type !== 'lock') continue;
    const w = t.name.slice(t.name.lastIndexOf(' ') + 1);
    let l = locksByLabel.get(w);
    if (!l) locksByLabel.set(w, (l = []));
    l.push(t.id);
  }
  for (const [mm, tgid] of mmTgid) {
    add(pgid(tgid), pname(tgid), 'process', mm);
    const label = byId.get(mm)?.name.replace(/^mm /, '');
    for (const id of (label && locksByLabel.get(label)) || []) add(pgid(tgid), pname(tgid), 'process', id);
  }
  // PASIDs are reused once freed: a PASID names the process of its latest allocation before the event.
  const allocs = new Map<number, [number, number][]>();
  for (const e of [...f.pasidAlloc].sort((x, y) => x[0] - y[0])) {
    const tgid = mmTgid.get(e[6]);
    if (tgid === undefined) continue;
    let l = allocs.get(e[5]);
    if (!l) allocs.set(e[5], (l = []));
    l.push([e[0], tgid]);
  }
  const pasidTgid = (pasid: number, seq: number) => allocs.get(pasid)?.findLast(([s]) => s < seq)?.[1];
  // A PASID entry lane, a bond or a device queue goes with the process it first served.
  for (const e of f.firstOf('pasid_entry')) {
    const tgid = mmTgid.get(e[6]);
    if (tgid !== undefined) add(pgid(tgid), pname(tgid), 'process', e[3]);
  }
  for (const kind of ['bond', 'dma_state'] as const) {
    for (const e of f.firstOf(kind)) {
      const tgid = pasidTgid(e[6], e[0]);
      if (tgid !== undefined) add(pgid(tgid), pname(tgid), 'process', e[3]);
    }
  }
  // Devices: lanes named after a device (accel0 in `dma accel0 q0`, `mutex uacce_mm->lock accel0`).
  const devices = new Set<string>();
  for (const t of tracks) if (t.type === 'device') for (const w of t.name.split(' ')) if (/^[a-z]+\d+$/.test(w) && !/^q\d+$/.test(w)) devices.add(w);
  for (const t of tracks) {
    if (groupOf.has(t.id)) continue;
    const dev = t.name.split(' ').find((w) => devices.has(w));
    if (dev && (t.type === 'device' || t.type === 'lock' || t.type === 'queue')) add(`dev:${dev}`, `device ${dev}`, 'device', t.id);
  }
  for (const t of tracks) {
    if (groupOf.has(t.id)) continue;
    const s = SUBSYSTEMS.find((x) => x.test(t)) as (typeof SUBSYSTEMS)[number];
    add(s.id, s.name, 'subsystem', t.id);
  }
  const order = (g: TrackGroupDto) => (g.kind === 'process' ? 0 : g.kind === 'device' ? 1 : 2);
  const sys = new Map(SUBSYSTEMS.map((s, i) => [s.id, i]));
  const first = new Map([...groups.values()].map((g) => [g.id, Math.min(...g.tracks)]));
  return [...groups.values()].sort((a, b) => order(a) - order(b) || (sys.get(a.id) ?? -1) - (sys.get(b.id) ?? -1) || (first.get(a.id) ?? 0) - (first.get(b.id) ?? 0));
}

/** Events per bucket over [0, endNs], from the coarsest level-of-detail rows that still give enough buckets. */
export function density(db: TraceDb, endNs: number): DensityDto {
  const level = LOD_LEVELS.find((l) => endNs / 2 ** l <= DENSITY_BUCKETS) ?? LOD_LEVELS[LOD_LEVELS.length - 1];
  const w = 2 ** level;
  const counts = new Array<number>(Math.max(1, Math.ceil((endNs + 1) / w))).fill(0);
  const addAt = (b: number, n: number) => {
    if (b >= 0 && b < counts.length) counts[b] += n;
  };
  const all = level >= LOD_ALL_MIN_LEVEL ? (rows(db, 'SELECT width, data FROM lod_all WHERE level = ?', level) as [number, Uint8Array][]) : [];
  if (all.length) {
    for (const [width, blob] of all) {
      // Only two numbers of each record are needed: read them in place (decodeLod would convert every number).
      const at = lodAt(blob, width);
      for (let o = 0, n = blob.byteLength / width; o < n; o += LOD_ALL_RECORD) addAt(at(o + 2), at(o + 3));
    }
  } else {
    for (const [width, blob] of rows(db, 'SELECT width, data FROM lod WHERE level = ?', level) as [number, Uint8Array][]) {
      const d = decodeLod(blob, width);
      for (let o = 0; o < d.length; o += LOD_RECORD) addAt(d[o], d[o + 1]);
    }
  }
  return { bucketNs: w, counts };
}

/** The next (dir 1) or previous (dir -1) event from `fromSeq` whose kind, actor name or args contain `query`. */
export function searchEvents(src: TimelineSource, query: string, fromSeq: number, dir: 1 | -1): EventRowDto | null {
  const q = query.trim().toLowerCase();
  if (!q) return null;
  const kinds = KINDS.map((k, i) => [k.name, i] as const).filter(([n]) => n.includes(q)).map(([, i]) => i);
  const actors = src.actors().filter((a) => a.name.toLowerCase().includes(q)).map((a) => a.id);
  const like = `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const sql = `SELECT ${COLS} FROM events WHERE seq ${dir === 1 ? '>' : '<'} ? AND (args LIKE ? ESCAPE '\\' OR kind IN (SELECT value FROM json_each(?)) OR actor IN (SELECT value FROM json_each(?))) ORDER BY seq ${dir === 1 ? 'ASC' : 'DESC'} LIMIT 1`;
  const row = rows(src.db, sql, Math.trunc(fromSeq), like, JSON.stringify(kinds), JSON.stringify(actors))[0] as EventRow | undefined;
  return row ? src.row(row) : null;
}

/** What lanes `tracks` hold over [fromNs, toNs]: events per kind, and per lane its events and spans (count, total and longest time inside the range). */
export function aggregateArea(src: TimelineSource, fromNs: number, toNs: number, tracks: readonly number[]): AreaAggregateDto {
  const from = Math.trunc(fromNs);
  const to = Math.trunc(toNs);
  const ids = [...new Set(tracks.map((t) => Math.trunc(t)))];
  const out: AreaAggregateDto = { fromNs: from, toNs: to, events: 0, kinds: [], lanes: [] };
  if (!ids.length || to < from) return out;
  const list = JSON.stringify(ids);
  const s0 = src.seqAtOrBefore(from - 1) + 1;
  const s1 = src.seqAtOrBefore(to);
  const lanes = new Map(ids.map((id) => [id, { id, name: src.actorName(id), events: 0, spans: 0, totalNs: 0, maxNs: 0 }]));
  const kinds = new Map<string, number>();
  if (s1 >= s0) {
    for (const [actor, kind, n] of rows(src.db, 'SELECT actor, kind, count(*) FROM events WHERE seq BETWEEN ? AND ? AND actor IN (SELECT value FROM json_each(?)) GROUP BY actor, kind', s0, s1, list) as [number, number, number][]) {
      const name = KINDS[kind]?.name ?? `#${kind}`;
      kinds.set(name, (kinds.get(name) ?? 0) + n);
      const l = lanes.get(actor);
      if (l) l.events += n;
      out.events += n;
    }
  }
  const spanSql =
    "SELECT actor, count(*), sum(min(t1, @to) - max(t0, @from)), max(min(t1, @to) - max(t0, @from)) FROM spans WHERE actor IN (SELECT value FROM json_each(@list)) AND cat != 'blocked' AND t0 <= @to AND t1 >= @from GROUP BY actor";
  for (const [actor, n, total, max] of rows(src.db, spanSql, { to, from, list }) as [number, number, number, number][]) {
    const l = lanes.get(actor);
    if (!l) continue;
    l.spans = n;
    l.totalNs = total;
    l.maxNs = max;
  }
  out.kinds = [...kinds].map(([kind, count]) => ({ kind, count })).sort((a, b) => b.count - a.count || a.kind.localeCompare(b.kind));
  out.lanes = [...lanes.values()].sort((a, b) => b.totalNs - a.totalNs || b.events - a.events || a.id - b.id);
  return out;
}
