import type { TrackType } from '../sim/events';
import type { Metrics } from '../sim/metrics';
import type { TraceDb } from './db';

/** The `meta` row of a trace, in camelCase. Times in ns. */
export interface TraceMeta {
  formatVersion: number;
  appVersion: string;
  scenario: string;
  params: Record<string, unknown>;
  seed: number;
  model: string;
  modelVersion: number;
  created: string;
  status: 'running' | 'complete' | 'cancelled' | 'failed';
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

/** The trace's meta row. */
export function readMeta(db: TraceDb): TraceMeta {
  const r = db.guard(() => db.stmt('SELECT * FROM meta').get()) as Record<string, unknown>;
  return {
    formatVersion: r.format_version as number,
    appVersion: r.app_version as string,
    scenario: r.scenario as string,
    params: db.json(r.params_json, 'params_json'),
    seed: r.seed as number,
    model: r.model as string,
    modelVersion: r.model_version as number,
    created: r.created as string,
    status: r.status as TraceMeta['status'],
    error: (r.error as string | null) ?? null,
    endReason: (r.end_reason as string | null) ?? null,
    events: r.event_count as number,
    endTimeNs: r.end_time_ns as number,
    digest: (r.digest as string | null) ?? null,
    metrics: r.metrics_json == null ? null : db.json<Metrics>(r.metrics_json, 'metrics_json'),
    checkpointEvery: r.checkpoint_every as number,
  };
}

/** The trace's actors, by id. */
export function readActors(db: TraceDb): ActorInfo[] {
  return db.guard(() => db.stmt('SELECT id, name, track FROM actors ORDER BY id').all()) as ActorInfo[];
}
