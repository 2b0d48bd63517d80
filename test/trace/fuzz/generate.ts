/**
 * The hostile-file generator of the fuzz suite: from one honest trace, a seeded set of files a
 * user may be handed (truncations, byte flips) and that an attacker may craft (a deflate bomb in
 * a checkpoint, a recursive view in place of a table, a planted trigger, wrong columns, a span
 * level of 1e308, a FIFO, links and side-file names as export targets...). Each case says which
 * lab operations to try on it and which of them must be refused. Deterministic for a seed:
 * `node --import tsx test/trace/fuzz/generate.ts <dir> [seed]` writes the files and prints the cases.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import Database from 'better-sqlite3';
import { altered } from '../helpers';

/** A lab operation the runner tries (runner.ts). */
export type Op =
  | 'open'
  | 'summary'
  | 'window'
  | 'state'
  | 'query'
  | 'query-endless'
  | 'query-huge'
  | 'import'
  | 'annotate'
  | 'list'
  | 'verify'
  | { export: string; format: 'csv' | 'chrome-json' };

export interface FuzzCase {
  name: string;
  /** The trace file the operations are given. */
  file: string;
  ops: Op[];
  /** Operations that must be refused (by their name; exports as 'export'). */
  refuse?: string[];
  /** A pattern the refusals' sentences must match. */
  says?: string;
  /** Files that must be byte-for-byte the same after the case (default: `file` and its side files). */
  unchanged?: string[];
}

/** A small deterministic PRNG (mulberry32): the suite is the same for a seed on every machine. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const READS: Op[] = ['open', 'summary', 'window', 'state', 'query'];

/** Rebuild `table` with the same columns but no constraints (so a field can be set to what the writer never writes). */
function loosen(db: Database.Database, table: string): void {
  const cols = db.prepare(`SELECT name, type FROM pragma_table_info('${table}') ORDER BY cid`).all() as { name: string; type: string }[];
  db.exec(`CREATE TABLE ${table}_loose (${cols.map((c) => `${c.name} ${c.type}`).join(', ')});
    INSERT INTO ${table}_loose SELECT * FROM ${table}; DROP TABLE ${table}; ALTER TABLE ${table}_loose RENAME TO ${table};`);
}

/**
 * Write the hostile files for `base` (an honest, finished trace) into `dir` and return the cases.
 * `seed` picks the truncation points and the flipped bytes.
 */
export function generateCases(base: string, dir: string, seed: number, opts: { truncations?: number; flips?: number } = {}): FuzzCase[] {
  fs.mkdirSync(dir, { recursive: true });
  const rand = rng(seed);
  const bytes = fs.readFileSync(base);
  const cases: FuzzCase[] = [];
  const ALL: Op[] = [...READS, 'import', 'list'];

  // The honest trace itself: every operation answers.
  const honest = path.join(dir, 'honest.sqlite');
  fs.copyFileSync(base, honest);
  cases.push({ name: 'honest', file: honest, ops: [...ALL, { export: path.join(dir, 'honest.csv'), format: 'csv' }] });

  // Truncations at seeded points (the header, the schema page, mid-table, the last page).
  const nTrunc = opts.truncations ?? 12;
  const points = [0, 50, 99, 100, 4096, bytes.length - 1];
  while (points.length < nTrunc) points.push(Math.floor(rand() * bytes.length));
  points.slice(0, nTrunc).forEach((n, i) => {
    const f = path.join(dir, `trunc-${i}-${n}.sqlite`);
    fs.writeFileSync(f, bytes.subarray(0, n));
    cases.push({ name: `truncated at ${n} of ${bytes.length} bytes`, file: f, ops: ALL, refuse: n < bytes.length ? ['open'] : [] });
  });

  // Byte flips: a few random bytes, anywhere past the first 100 (the magic string), in each file.
  const nFlips = opts.flips ?? 12;
  for (let i = 0; i < nFlips; i++) {
    const b = Buffer.from(bytes);
    const k = 1 + Math.floor(rand() * 8);
    for (let j = 0; j < k; j++) {
      const at = 16 + Math.floor(rand() * (b.length - 16));
      b[at] ^= 1 + Math.floor(rand() * 255);
    }
    const f = path.join(dir, `flip-${i}.sqlite`);
    fs.writeFileSync(f, b);
    cases.push({ name: `${k} byte(s) flipped (${i})`, file: f, ops: ALL });
  }

  // A deflate bomb in the initial checkpoint: 11 MB-ish of DEFLATE that inflates past the limit.
  const bomb = zlib.deflateRawSync(Buffer.alloc(300 * 1024 * 1024, 0x20), { level: 9 });
  cases.push({
    name: 'deflate bomb in a checkpoint',
    file: altered(base, dir, 'bomb.sqlite', (db) => db.prepare('UPDATE checkpoints SET state_json = ?').run(bomb)),
    ops: ['state', 'window', 'summary', 'import'],
    refuse: ['state'],
    says: 'inflates to more than',
  });

  // Checkpoints of the wrong shape.
  cases.push({
    name: 'checkpoint of the wrong shape',
    file: altered(base, dir, 'ckshape.sqlite', (db) => db.prepare("UPDATE checkpoints SET state_json = '{\"t\":0,\"seq\":0,\"tasks\":7}'").run()),
    ops: ['state'],
    refuse: ['state'],
    says: 'wrong shape',
  });
  cases.push({
    name: 'checkpoint that is an array',
    file: altered(base, dir, 'ckarray.sqlite', (db) => db.prepare("UPDATE checkpoints SET state_json = '[1,2,3]'").run()),
    ops: ['state'],
    refuse: ['state'],
    says: 'wrong shape',
  });

  // Endless recursive views in place of required tables.
  const endless = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x AS seq, x AS t_ns, 0 AS kind, 1 AS actor, 0 AS cause_seq, 0 AS a, 0 AS b, NULL AS args FROM c';
  for (const table of ['events', 'spans', 'meta']) {
    cases.push({
      name: `recursive view in place of ${table}`,
      file: altered(base, dir, `view-${table}.sqlite`, (db) => db.exec(`DROP TABLE ${table}; CREATE VIEW ${table} AS ${endless};`)),
      ops: ALL,
      refuse: ['open', 'import'],
      says: `'${table}' is a view where a trace has a table`,
    });
  }
  cases.push({
    name: 'recursive event_log view',
    file: altered(base, dir, 'view-event_log.sqlite', (db) => db.exec(`DROP VIEW event_log; CREATE VIEW event_log AS ${endless};`)),
    ops: [...ALL, { export: path.join(dir, 'event_log.csv'), format: 'csv' }],
    refuse: ['open', 'import', 'export'],
    says: 'event_log',
  });

  // A planted trigger: reading works, but import and the lab's own write (annotate) refuse it.
  cases.push({
    name: 'trigger planted on annotations',
    file: altered(base, dir, 'trigger.sqlite', (db) => db.exec('CREATE TRIGGER wipe AFTER INSERT ON annotations BEGIN DELETE FROM events; END;')),
    ops: ['open', 'import', 'annotate'],
    refuse: ['import', 'annotate'],
    says: 'trigger',
  });
  cases.push({
    name: 'extra view',
    file: altered(base, dir, 'extra-view.sqlite', (db) => db.exec('CREATE VIEW v AS SELECT * FROM events')),
    ops: ['open', 'import'],
    refuse: ['import'],
    says: 'view',
  });

  // Wrong columns.
  cases.push({
    name: 'renamed column',
    file: altered(base, dir, 'column.sqlite', (db) => db.exec('DROP VIEW event_log; ALTER TABLE events RENAME COLUMN a TO aa;')),
    ops: ALL,
    refuse: ['open', 'import'],
    says: 'columns',
  });
  cases.push({
    name: 'missing column',
    file: altered(base, dir, 'column2.sqlite', (db) => db.exec('DROP INDEX IF EXISTS spans_by_lvl; DROP INDEX IF EXISTS spans_by_lane; ALTER TABLE spans DROP COLUMN lvl;')),
    ops: ALL,
    refuse: ['open', 'import'],
    says: 'columns',
  });
  cases.push({
    name: 'table missing',
    file: altered(base, dir, 'notable.sqlite', (db) => db.exec('DROP TABLE lod_all;')),
    ops: ALL,
    refuse: ['open', 'import'],
    says: 'lacks the table',
  });

  // Numbers that drive loops and allocations.
  cases.push({
    name: 'spans.lvl of 1e308',
    file: altered(base, dir, 'lvl.sqlite', (db) => db.exec('UPDATE spans SET lvl = 1e308 WHERE id = (SELECT min(id) FROM spans);')),
    ops: ['window', 'open'],
    refuse: ['window'],
    says: 'level',
  });
  cases.push({
    name: 'lod blob of the wrong size',
    file: altered(base, dir, 'lodblob.sqlite', (db) => db.exec("UPDATE lod SET data = x'010203'; UPDATE lod_all SET data = x'010203';")),
    ops: ['window'],
    refuse: ['window'],
    says: 'level-of-detail',
  });

  // Meta fields the writer never writes.
  cases.push({
    name: 'params_json null',
    file: altered(base, dir, 'params-null.sqlite', (db) => {
      loosen(db, 'meta');
      db.exec('UPDATE meta SET params_json = NULL');
    }),
    ops: ['open', 'summary', 'import', 'list'],
    refuse: ['open', 'summary', 'import'],
    says: 'params_json',
  });
  cases.push({
    name: 'meta with two rows',
    file: altered(base, dir, 'meta2.sqlite', (db) => db.exec('INSERT INTO meta SELECT * FROM meta')),
    ops: ['open', 'import'],
    refuse: ['open', 'import'],
    says: 'more than one row',
  });
  cases.push({
    name: 'end time of 1e300 ns',
    file: altered(base, dir, 'count.sqlite', (db) => db.exec('UPDATE meta SET end_time_ns = 1e300')),
    ops: ['open', 'import'],
    refuse: ['open', 'import'],
    says: 'end_time_ns',
  });
  cases.push({
    name: 'another application id',
    file: altered(base, dir, 'appid.sqlite', (db) => db.pragma('application_id = 1234')),
    ops: ['open', 'import'],
    refuse: ['open', 'import'],
    says: 'application id',
  });
  cases.push({
    name: 'another format version',
    file: altered(base, dir, 'version.sqlite', (db) => db.pragma('user_version = 99')),
    ops: ['open', 'import'],
    refuse: ['open', 'import'],
    says: 'format version 99',
  });

  // Files that are not files.
  const fifo = path.join(dir, 'fifo.sqlite');
  execFileSync('mkfifo', [fifo]);
  cases.push({ name: 'a FIFO', file: fifo, ops: ['open', 'summary', 'import', 'list', 'verify'], refuse: ['open', 'summary', 'import', 'verify'], says: 'FIFO', unchanged: [] });
  const walFifo = altered(base, dir, 'walfifo.sqlite', () => undefined);
  execFileSync('mkfifo', [`${walFifo}-wal`]);
  cases.push({ name: 'a FIFO as the -wal', file: walFifo, ops: ['open', 'import'], refuse: ['open', 'import'], says: 'FIFO', unchanged: [walFifo] });
  const folder = path.join(dir, 'folder.sqlite');
  fs.mkdirSync(folder);
  cases.push({ name: 'a folder', file: folder, ops: ['open', 'import'], refuse: ['open', 'import'], says: 'folder', unchanged: [] });
  const text = path.join(dir, 'text.sqlite');
  fs.writeFileSync(text, 'this is not a database\n'.repeat(50));
  cases.push({ name: 'a text file', file: text, ops: ['open', 'import', 'list'], refuse: ['open', 'import'], says: 'not an SQLite database' });
  const empty = path.join(dir, 'empty.sqlite');
  fs.writeFileSync(empty, '');
  cases.push({ name: 'an empty file', file: empty, ops: ['open', 'import'], refuse: ['open', 'import'], says: 'empty' });
  const junkJournal = altered(base, dir, 'journal.sqlite', () => undefined);
  fs.writeFileSync(`${junkJournal}-journal`, Buffer.alloc(4096, 0xd9));
  cases.push({ name: 'a junk -journal next to the trace', file: junkJournal, ops: ['open', 'import'] });

  // Export targets that are the trace under another name.
  const victim = altered(base, dir, 'victim.sqlite', () => undefined);
  const sym = path.join(dir, 'victim-symlink.csv');
  fs.symlinkSync(victim, sym);
  const hard = path.join(dir, 'victim-hardlink.csv');
  fs.linkSync(victim, hard);
  const dirSym = path.join(dir, 'dirlink');
  fs.symlinkSync(dir, dirSym);
  for (const [label, out] of [
    ['the trace itself', victim],
    ['a symbolic link to the trace', sym],
    ['a hard link to the trace', hard],
    ['the trace through a linked folder', path.join(dirSym, 'victim.sqlite')],
    ['the trace\'s -journal name', `${victim}-journal`],
    ['the trace\'s -wal name', `${victim}-wal`],
    ['the trace\'s -shm name', `${victim}-shm`],
  ] as const) {
    cases.push({
      name: `export to ${label}`,
      file: victim,
      ops: [{ export: out, format: 'csv' }, { export: out, format: 'chrome-json' }, 'open'],
      refuse: ['export'],
      says: 'trace',
      unchanged: [victim, hard],
    });
  }

  // User SQL without an end, or with an answer too big to hold.
  cases.push({ name: 'endless recursive query', file: honest, ops: ['query-endless'], refuse: ['query-endless'], says: 'longer than' });
  cases.push({ name: 'query asking for 10 million rows', file: honest, ops: ['query-huge'], refuse: ['query-huge'], says: 'at most' });
  return cases;
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  const [dir, seed] = process.argv.slice(2);
  const base = path.join(dir, 'base.sqlite');
  process.stdout.write(`${JSON.stringify(generateCases(base, path.join(dir, 'cases'), Number(seed ?? 1)), null, 1)}\n`);
}
