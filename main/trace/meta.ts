import type { TrackType } from '../sim/events';
import type { Metrics } from '../sim/metrics';
import type { TraceDb } from './db';
import { TraceFileError } from './errors';
import type { TraceHeader } from './writer';

/** The `meta` row of a trace, in camelCase. Times in ns. */
export interface TraceMeta extends TraceHeader {
  formatVersion: number;
  /**
   * 'interrupted': the recorder was killed (the archive found the trace still 'running' and
   * closed it so; stored as status 'failed' with end_reason 'interrupted', as the file's CHECK
   * constraint knows no other status). A 'running' trace nobody records is interrupted too
   * (summary.ts says so).
   */
  status: 'running' | 'complete' | 'cancelled' | 'failed' | 'interrupted';
  error: string | null;
  endReason: string | null;
  events: number;
  endTimeNs: number;
  digest: string | null;
  /** Metrics as the run computed them (null if the run never finished, e.g. a crashed worker). */
  metrics: Metrics | null;
  checkpointEvery: number;
}

export interface ActorInfo {
  id: number;
  name: string;
  track: TrackType;
}

/** The trace's meta row, checked field by field (metaOf). */
export function readMeta(db: TraceDb): TraceMeta {
  const r = db.guard(() => db.stmt('SELECT * FROM meta').get()) as Record<string, unknown> | undefined;
  return metaOf(db.file, r);
}

const STATUSES = new Set(['running', 'complete', 'cancelled', 'failed']);
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

/** The meta row, checked field by field: each wrong field is one sentence naming it and what is valid. */
function metaOf(file: string, r: Record<string, unknown> | undefined): TraceMeta {
  if (!r) throw new TraceFileError(`'${file}' is not a complete SVA Lab trace: its meta table is empty.`);
  const bad = (field: string, valid: string): never => {
    const v = r[field];
    const shown = v === null ? 'null' : typeof v === 'string' ? `'${v.length > 40 ? `${v.slice(0, 40)}…` : v}'` : String(v);
    throw new TraceFileError(`'${file}' is corrupt: its meta.${field} is ${shown}; it should be ${valid}.`);
  };
  const text = (f: string): string => (typeof r[f] === 'string' ? (r[f] as string) : bad(f, 'text'));
  const textOrNull = (f: string): string | null => (r[f] === null || r[f] === undefined ? null : typeof r[f] === 'string' ? (r[f] as string) : bad(f, 'text or null'));
  const int = (f: string, min: number): number => (isInt(r[f]) && (r[f] as number) >= min ? (r[f] as number) : bad(f, `an integer of at least ${min}`));
  const json = (f: string, nullable: boolean): Record<string, unknown> | null => {
    const v = r[f];
    if (v === null || v === undefined) return nullable ? null : bad(f, 'a JSON object (the run’s parameters)');
    if (typeof v !== 'string') return bad(f, 'JSON text');
    let o: unknown;
    try {
      o = JSON.parse(v);
    } catch {
      return bad(f, 'valid JSON');
    }
    if (typeof o !== 'object' || o === null || Array.isArray(o)) return bad(f, 'a JSON object');
    return o as Record<string, unknown>;
  };
  const status = text('status');
  if (!STATUSES.has(status)) bad('status', 'one of running, complete, cancelled, failed');
  const endReason = textOrNull('end_reason');
  const metrics = json('metrics_json', true);
  if (metrics && (typeof metrics.releaseLatencyNs !== 'object' || metrics.releaseLatencyNs === null)) bad('metrics_json', 'the metrics object a run stores');
  return {
    formatVersion: int('format_version', 1),
    appVersion: text('app_version'),
    scenario: text('scenario'),
    params: json('params_json', false) as Record<string, unknown>,
    seed: int('seed', 0),
    model: text('model'),
    modelVersion: int('model_version', 0),
    created: text('created'),
    status: status === 'failed' && endReason === 'interrupted' ? 'interrupted' : (status as TraceMeta['status']),
    error: textOrNull('error'),
    endReason,
    events: int('event_count', 0),
    endTimeNs: int('end_time_ns', 0),
    digest: textOrNull('digest'),
    metrics: metrics as Metrics | null,
    checkpointEvery: int('checkpoint_every', 1),
  };
}

/** The trace's actors, by id. */
export function readActors(db: TraceDb): ActorInfo[] {
  return db.guard(() => db.stmt('SELECT id, name, track FROM actors ORDER BY id').all()) as ActorInfo[];
}
