// The insert ceiling for bench/trace.ts, in its own worker thread: bare better-sqlite3 inserts of
// rows shaped like trace events (same table, statement, pragmas and batch size as the recorder),
// with nothing else to do. Plain JS so that it needs no TypeScript loader.
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const { file, rows, batch, pragmas, ddl, insertSql } = workerData;
const db = new Database(file);
for (const p of pragmas) db.pragma(p);
db.exec(ddl);
const ins = db.prepare(insertSql);
const ARGS = '{"fn":"mmput","by":"exit_mm"}';
const t0 = performance.now();
const tx = db.transaction((from, to) => {
  for (let s = from; s < to; s++) ins.run(s, s * 373, s % 60, 1 + (s % 200), s - 1, s & 1023, s % 7, s % 8 < 3 ? ARGS : null);
});
for (let s = 1; s <= rows; s += batch) tx(s, Math.min(rows + 1, s + batch));
const ms = performance.now() - t0;
db.close();
parentPort.postMessage({ rows, ms });
