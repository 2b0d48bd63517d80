import type Database from 'better-sqlite3';
import type { AlarmDto, DensityDto, TrackDto, TrackGroupDto } from '../contract';
import { KIND } from '../sim/events';
import type { TraceDb } from './db';
import type { TimelineIndex } from './timeline_queries';

/**
 * The timeline index a finished recording stores in its file (the `timeline_index` table), so that
 * opening the run reads one row instead of a dozen queries over the events (about 20 ms warm and
 * 50 ms cold on a 10M-event run, several times that beside a browser on 2 cores: issue 12). The
 * file is not trusted: a row that is not a valid index of this file (its lanes, its events) is
 * ignored and the index computed from the events, as for a trace recorded before the table.
 */

/** Stored indexes larger than this are not read (a real one is a few hundred KB at 10M events). */
const STORED_MAX_CHARS = 32 << 20;
const GROUP_KINDS = new Set<TrackGroupDto['kind']>(['process', 'device', 'subsystem']);

/** The stored index, or null when the file has none or one that is not an index of it. */
export function storedTimelineIndex(db: TraceDb, tracks: readonly TrackDto[], events: number): TimelineIndex | null {
  const json = storedTimelineJson(db);
  if (!json || json.length > STORED_MAX_CHARS) return null;
  let x: unknown;
  try {
    x = JSON.parse(json);
  } catch {
    return null;
  }
  return isIndexOf(x, new Set(tracks.map((t) => t.id)), events) ? x : null;
}

/** The stored row as it is, unchecked (for `verify`, which compares it with the index computed from the events): null without a row, '' with more than one. */
export function storedTimelineJson(db: TraceDb): string | null {
  return db.guard(() => {
    if (!db.stmt("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'timeline_index'").get()) return null;
    const rows = db.stmt('SELECT json FROM timeline_index LIMIT 2').raw(true).all() as unknown[][];
    return rows.length === 1 ? String(rows[0][0]) : rows.length === 0 ? null : '';
  });
}

/** Store the row of a finished recording (its writer's connection): the index as computed from its events. */
export function storeTimelineIndex(db: Database.Database, index: TimelineIndex): void {
  db.prepare('INSERT INTO timeline_index (json) VALUES (?)').run(JSON.stringify(index));
}

const isInt = (v: unknown, lo: number, hi: number): v is number => Number.isInteger(v) && (v as number) >= lo && (v as number) <= hi;
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Whether `x` is a TimelineIndex of a file with these track ids and `events` events: every lane in exactly one group, alarms on its lanes and events. */
function isIndexOf(x: unknown, trackIds: ReadonlySet<number>, events: number): x is TimelineIndex {
  if (!isObj(x) || !Array.isArray(x.alarms) || !Array.isArray(x.groups) || !isObj(x.density)) return false;
  const alarmOk = (a: unknown): a is AlarmDto =>
    isObj(a) && isInt(a.seq, 1, events) && typeof a.tNs === 'number' && Number.isFinite(a.tNs) && typeof a.kind === 'string' && Object.hasOwn(KIND, a.kind) && isInt(a.actorId, 0, Number.MAX_SAFE_INTEGER) && trackIds.has(a.actorId) && typeof a.text === 'string' && a.text.length <= 1000;
  if (!x.alarms.every(alarmOk)) return false;
  const grouped = new Set<number>();
  for (const g of x.groups as unknown[]) {
    if (!isObj(g) || typeof g.id !== 'string' || typeof g.name !== 'string' || g.name.length > 1000 || !GROUP_KINDS.has(g.kind as TrackGroupDto['kind']) || !Array.isArray(g.tracks)) return false;
    for (const t of g.tracks as unknown[]) {
      if (!isInt(t, 0, Number.MAX_SAFE_INTEGER) || !trackIds.has(t) || grouped.has(t)) return false;
      grouped.add(t);
    }
  }
  if (grouped.size !== trackIds.size) return false;
  const d = x.density as Partial<DensityDto>;
  return typeof d.bucketNs === 'number' && d.bucketNs > 0 && Number.isFinite(d.bucketNs) && Array.isArray(d.counts) && d.counts.length <= 1 << 20 && d.counts.every((c) => isInt(c, 0, Number.MAX_SAFE_INTEGER));
}
