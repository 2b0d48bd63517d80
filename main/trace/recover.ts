import Database from 'better-sqlite3';
import { MetricsFold } from '../sim/metrics';
import { TraceFileError } from './errors';
import { buildLodAll } from './lod';
import { checkHeader } from './open';
import { FINAL_INDEX_SQL } from './schema';

/**
 * Mark a trace whose writer died (worker crashed or was killed) as failed with `error`. Runs in
 * the coordinating thread after the worker is gone: opening the file recovers the committed
 * batches from the WAL (an unfinished batch is rolled back), then meta gets the event count and
 * end time of what is really there and the metrics recomputed from it. Returns the event count.
 */
export function markFailed(file: string, error: string): number {
  checkHeader(file);
  let db: Database.Database;
  try {
    db = new Database(file, { fileMustExist: true });
  } catch (e) {
    throw new TraceFileError(`Cannot open trace file '${file}' to mark it failed: ${(e as Error).message}.`);
  }
  try {
    const last = db.prepare('SELECT seq, t_ns FROM events ORDER BY seq DESC LIMIT 1').raw(true).get() as [number, number] | undefined;
    const metrics = new MetricsFold();
    const it = db.prepare('SELECT seq, t_ns, kind, actor, cause_seq, a, b, args FROM events ORDER BY seq').raw(true).iterate() as IterableIterator<
      [number, number, number, number, number, number, number, string | null]
    >;
    for (const r of it) metrics.event(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]);
    db.exec(FINAL_INDEX_SQL);
    buildLodAll(db);
    db.prepare("UPDATE meta SET status = 'failed', error = ?, end_reason = 'failed', event_count = ?, end_time_ns = ?, metrics_json = ?").run(
      error,
      last?.[0] ?? 0,
      last?.[1] ?? 0,
      JSON.stringify(metrics.result()),
    );
    db.pragma('journal_mode = DELETE');
    return last?.[0] ?? 0;
  } finally {
    db.close();
  }
}
