// The storage ceiling for bench/trace.ts, in a child process of its own (its rows in memory do not
// swell the RSS the bench reports of the lab's process): what it costs SQLite alone to
// store the trace just recorded. It reads every row of the recorded file's tables into memory
// (untimed), then, timed: creates a fresh file with the trace's own schema (SCHEMA_SQL, passed in),
// inserts the same rows with bare prepared multi-row statements (the writer's ROWS_PER_INSERT, its
// batch size in events per transaction, its pragmas), builds the same final indexes
// (FINAL_INDEX_SQL) and leaves WAL as the writer does. Nothing else: no model, no derivation, no
// thread hand-off. Plain JS so that it needs no TypeScript loader.
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';

const { source, file, batch, rowsPerInsert, pragmas, schemaSql, finalIndexSql, tables } = await new Promise((resolve) => process.once('message', resolve));

// Untimed: the rows, as the recorded file holds them (kinds and meta too: the fresh file gets them
// as the writer's constructor writes them, in the timed part).
const src = new Database(source, { readonly: true });
// `tables`: each with its columns and its one- and multi-row INSERT (the writer's insertSql).
const data = tables.map(({ t, cols, one, many }) => ({ t, one, many, rows: src.prepare(`SELECT ${cols.join(', ')} FROM ${t} ORDER BY rowid`).raw(true).all(), width: cols.length }));
src.close();
const events = data.find((d) => d.t === 'events').rows.length;

for (const f of [file, `${file}-wal`, `${file}-shm`]) fs.rmSync(f, { force: true });
const t0 = performance.now();
const db = new Database(file);
for (const p of pragmas) db.pragma(p);
db.exec(schemaSql);
// Each table's rows go in as many transactions as the recording had batches, a table after another.
const nTx = Math.max(1, Math.ceil(events / batch));
for (const { rows, width, ...sql } of data) {
  const [many, one] = [db.prepare(sql.many), db.prepare(sql.one)];
  const params = new Array(width * rowsPerInsert);
  const per = Math.ceil(rows.length / nTx);
  const tx = db.transaction((from, to) => {
    let i = from;
    for (; i + rowsPerInsert <= to; ) {
      for (let k = 0, q = 0; k < rowsPerInsert; k++, i++) {
        const r = rows[i];
        for (let c = 0; c < r.length; c++) params[q++] = r[c];
      }
      many.run(params);
    }
    for (; i < to; i++) one.run(rows[i]);
  });
  for (let s = 0; s < rows.length; s += per) tx(s, Math.min(rows.length, s + per));
}
db.exec(finalIndexSql);
db.pragma('journal_mode = DELETE');
db.close();
const ms = performance.now() - t0;
const rows = data.reduce((n, d) => n + d.rows.length, 0);
for (const f of [file, `${file}-wal`, `${file}-shm`]) fs.rmSync(f, { force: true });
process.send({ rows, events, ms }, () => process.exit(0));
