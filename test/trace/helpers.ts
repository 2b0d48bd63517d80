import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { runScenario, type Summary } from '../../main/sim/run';
import { TraceRecorder, TraceWriter } from '../../main/trace/writer';

export function tempDir(prefix = 'sva-trace-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Record a scenario in this thread (no worker) into `file`; returns the run's summary. */
export function recordInline(file: string, scenario: string, params: Record<string, unknown> = {}, seed = 1, checkpointEvery?: number): Summary {
  const w = new TraceWriter(file, { appVersion: 'test', scenario, params, seed, model: params.mmExit === false ? 'quiet' : 'mm_exit', modelVersion: 1, created: new Date(0).toISOString() }, { checkpointEvery });
  const rec = new TraceRecorder((b) => w.write(b), { checkpointEvery });
  const s = runScenario(scenario, params, seed, { sinks: [rec] });
  rec.finish(s.endTimeNs);
  w.finish({ status: s.status === 'interrupted' ? 'failed' : s.status, error: s.error, endReason: s.endReason, events: s.events, endTimeNs: s.endTimeNs, digest: s.digest, metrics: s.metrics });
  return s;
}

/** mtime and content hash: proof that a file was not touched. */
export function fingerprint(file: string): string {
  const st = fs.statSync(file);
  if (st.isDirectory()) return `${st.mtimeMs}:dir`;
  const h = crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  return `${st.mtimeMs}:${st.size}:${h}`;
}

/** A copy of trace `base` as `name` in `dir`, changed by `fn` (a file from elsewhere, an older trace): its path. */
export function altered(base: string, dir: string, name: string, fn: (db: Database.Database) => void): string {
  const f = path.join(dir, name);
  fs.copyFileSync(base, f);
  const db = new Database(f);
  try {
    fn(db);
  } finally {
    db.close();
  }
  return f;
}
