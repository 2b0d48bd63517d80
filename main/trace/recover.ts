import { MetricsFold } from '../sim/metrics';
import { TraceFileError } from './errors';
import { buildLodAll } from './lod';
import { fileErrorSentence, openTrace } from './open';
import { FINAL_INDEX_SQL } from './schema';

/** How a trace whose writer is gone is closed: 'failed' (the worker died in this process, `error` says how) or 'interrupted' (found still 'running' with no recorder: the process was killed). */
export type AbandonedAs = 'failed' | 'interrupted';

/**
 * Close a trace whose writer died: opening it through SQLite recovers the committed batches from
 * the -wal (an unfinished batch is rolled back); meta then gets the event count and end time of
 * what is really there, the metrics recomputed from those events, the read indexes, and the
 * file goes back to rollback-journal mode. An interrupted run is stored as status 'failed' with
 * end_reason 'interrupted' (the meta CHECK constraint of format 3 knows no other status); readers
 * report it as 'interrupted'. Slow for a long run (it folds every event): call it in a worker.
 * Returns the event count.
 */
export function closeAbandoned(file: string, as: AbandonedAs, error: string): number {
  const { db, close } = openTrace(file, { write: true, strict: false });
  try {
    const status = db.prepare('SELECT status FROM meta').pluck().get();
    // Someone else finished it meanwhile (or it was never a run in progress): leave it.
    if (as === 'interrupted' && status !== 'running') return -1;
    const last = db.prepare('SELECT seq, t_ns FROM events ORDER BY seq DESC LIMIT 1').raw(true).get() as [number, number] | undefined;
    const metrics = new MetricsFold();
    for (const [id, name, track] of db.prepare('SELECT id, name, track FROM actors ORDER BY id').raw(true).iterate() as IterableIterator<[number, string, never]>) metrics.actor(id, name, track);
    const it = db.prepare('SELECT seq, t_ns, kind, actor, cause_seq, a, b, args FROM events ORDER BY seq').raw(true).iterate() as IterableIterator<
      [number, number, number, number, number, number, number, string | null]
    >;
    for (const r of it) metrics.event(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]);
    db.exec(FINAL_INDEX_SQL);
    buildLodAll(db);
    db.prepare("UPDATE meta SET status = 'failed', error = ?, end_reason = ?, event_count = ?, end_time_ns = ?, metrics_json = ?").run(
      error,
      as,
      last?.[0] ?? 0,
      last?.[1] ?? 0,
      JSON.stringify(metrics.result()),
    );
    db.pragma('journal_mode = DELETE');
    return last?.[0] ?? 0;
  } catch (e) {
    if (e instanceof TraceFileError) throw e;
    const s = fileErrorSentence(file, e, 'write');
    throw s ? new TraceFileError(s) : e;
  } finally {
    close();
  }
}

/** Mark a trace whose writer died in this process as failed with `error` (closeAbandoned). */
export function markFailed(file: string, error: string): number {
  return closeAbandoned(file, 'failed', error);
}
