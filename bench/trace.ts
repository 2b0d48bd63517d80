import { fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { createLab, type Lab } from '../main/lab/index';
import { TraceReader } from '../main/trace/reader';
import { FINAL_INDEX_SQL, SCHEMA_SQL } from '../main/trace/schema';
import { DEFAULT_BATCH, insertSql, ROWS_PER_INSERT, WRITE_PRAGMAS } from '../main/trace/writer';

/**
 * Trace benchmarks (issues 3, 13): recording against the storage ceiling measured in the same
 * round (ceiling-worker.mjs: the rows the recorded trace holds, every table, inserted bare into a
 * fresh file of the same schema with the writer's statement shape, batches, pragmas and final
 * indexes), for each size, BENCH_ROUNDS rounds (default 3), record timed first on odd rounds and
 * the ceiling first on even ones (on the previous round's file: the same rows, the run is seeded),
 * on 1M and 5M events; then state-at-t and window latency on the biggest trace, bytes per event,
 * open-to-first-window time, and the main process's RSS as traces grow.
 * BENCH_EVENTS=N measures one size N instead (e.g. 50000000 for the log-n check; not in CI).
 */
export interface RecordRound {
  events: number;
  /** Rows the trace stores, every table (what the ceiling inserts). */
  rows: number | null;
  round: number;
  /** Which of the two was timed first in this round. */
  order: 'record first' | 'ceiling first';
  recordWallMs: number;
  /** null: not measured (BENCH_CEILING=0). */
  ceilingWallMs: number | null;
  /** Time to record (sim, derivation, hand-off, storage) over the time to store the same rows bare: the target is <= 1.3. */
  recordOverCeiling: number | null;
  /** The machine's load average (1 min) when the round started. */
  load1: number;
}

export interface TraceBench {
  rounds: RecordRound[];
  events: number;
  recordWallMs: number;
  recordEventsPerSec: number;
  ceilingRowsPerSec: number | null;
  /** The last round's recordOverCeiling on the biggest trace. */
  recordOverCeiling: number | null;
  bytesPerEvent: number;
  fileBytes: number;
  openToFirstWindowMs: number;
  stateMs: { p50: number; p95: number; max: number; samples: number };
  /** state at t stepping the cursor event by event (what key scrubbing does). */
  stateStepMs: { p50: number; p95: number; max: number; samples: number };
  windowMs: { p50: number; p95: number; max: number; samples: number; width: number };
  windowVisibleLanesMs: { p50: number; p95: number; max: number; samples: number; width: number; lanes: number };
  windowMaxItemsPerPixelPerTrack: number;
  /** Whole process (it includes the workers' memory while they run, and what the allocator keeps afterwards). */
  rssMiB: { before: number; afterSmallTrace: number; afterBigTrace: number; afterQueries: number };
  /** The main thread's JS heap: what the coordinating thread itself holds. */
  mainHeapMiB: { before: number; afterSmallTrace: number; afterBigTrace: number; afterQueries: number };
}

const DIR = path.resolve('.bench');
const mib = (b: number) => Math.round((b / 1048576) * 10) / 10;
const rss = () => mib(process.memoryUsage().rss);
const heap = () => mib(process.memoryUsage().heapUsed);

function pct(v: number[]): { p50: number; p95: number; max: number; samples: number } {
  const s = [...v].sort((a, b) => a - b);
  const at = (q: number) => Math.round(s[Math.min(s.length - 1, Math.floor(q * (s.length - 1)))] * 100) / 100;
  return { p50: at(0.5), p95: at(0.95), max: at(1), samples: s.length };
}

/** A deterministic stream of numbers in [0, 1) so every bench run asks the same questions. */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 4294967296);
}

/** What the ceiling worker answers. */
interface Ceiling {
  /** Rows inserted, all tables. */
  rows: number;
  events: number;
  ms: number;
}

/** Tables the trace stores that the ceiling re-inserts (annotations: none while recording). */
const STORED_TABLES = ['meta', 'kinds', 'actors', 'events', 'spans', 'checkpoints', 'lod', 'lod_all', 'edges'];

/**
 * The storage ceiling of the trace `source` just recorded (ceiling-worker.mjs, a child process): the same rows
 * inserted bare, with the trace's schema, statements shaped as the writer's, its pragmas and final
 * indexes. The time to record over this is the cost of everything but storage: the model, the
 * derivation of spans, LOD, checkpoints and edges, and the hand-off between threads.
 */
function ceiling(source: string): Promise<Ceiling> {
  const file = path.join(DIR, 'ceiling.sqlite');
  const src = new Database(source, { readonly: true });
  const tables = STORED_TABLES.map((t) => {
    const cols = src.prepare(`SELECT * FROM ${t} LIMIT 0`).columns().map((c) => c.name);
    return { t, cols, one: insertSql(t, cols, 1), many: insertSql(t, cols, ROWS_PER_INSERT) };
  });
  src.close();
  const child = fork(fileURLToPath(new URL('./ceiling-worker.mjs', import.meta.url)), [], { execArgv: ['--max-old-space-size=12288'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  child.send({ source, file, batch: DEFAULT_BATCH, rowsPerInsert: ROWS_PER_INSERT, pragmas: WRITE_PRAGMAS, schemaSql: SCHEMA_SQL, finalIndexSql: FINAL_INDEX_SQL, tables });
  return new Promise<Ceiling>((resolve, reject) => {
    child.once('message', (m) => resolve(m as Ceiling));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`bench: the ceiling process exited with code ${code} before answering`)));
  });
}

async function record(lab: Lab, events: number, name: string): Promise<{ file: string; ms: number; events: number }> {
  const file = path.join(DIR, name);
  fs.rmSync(file, { force: true });
  const t0 = performance.now();
  const r = await lab.record({ scenario: 'stress', params: { events }, seed: 1, out: file });
  return { file, ms: performance.now() - t0, events: r.events };
}

/** The sizes recorded: BENCH_EVENTS alone if set, else 1M and 5M (BENCH_TRACE_EVENTS, the older knob, sets the big one). */
function sizes(): number[] {
  if (process.env.BENCH_EVENTS) return [Number(process.env.BENCH_EVENTS)];
  return [1_000_000, Number(process.env.BENCH_TRACE_EVENTS ?? 5_000_000)];
}

export async function benchTrace(): Promise<TraceBench> {
  fs.mkdirSync(DIR, { recursive: true });
  const svc = createLab(DIR);
  const rssBefore = rss();
  const heapBefore = heap();
  await record(svc, 200_000, 'small.sqlite');
  const rssSmall = rss();
  const heapSmall = heap();
  const rounds: RecordRound[] = [];
  const nRounds = Number(process.env.BENCH_ROUNDS ?? 3);
  // BENCH_CEILING=0 skips the ceiling (the 50M-event latency check: its rows would not fit in memory).
  const withCeiling = process.env.BENCH_CEILING !== '0';
  let big = { file: '', ms: 0, events: 0 };
  for (let round = 1; round <= nRounds; round++) {
    for (const n of sizes()) {
      const load1 = Math.round(os.loadavg()[0] * 100) / 100;
      // The ceiling needs the recorded file; on even rounds it is timed first (on the previous
      // round's file of the same size, the same rows), so a neighbour's burst does not always
      // land on the same side of the ratio.
      const ceilingFirst = withCeiling && round % 2 === 0;
      let ceil: Ceiling | null = ceilingFirst ? await ceiling(path.join(DIR, `stress-${n}.sqlite`)) : null;
      const rec = await record(svc, n, `stress-${n}.sqlite`);
      if (withCeiling) ceil ??= await ceiling(rec.file);
      if (ceil && ceil.events !== rec.events) throw new Error(`bench: the ceiling stored ${ceil.events} events, the recording ${rec.events}`);
      const ceilingWallMs = ceil ? Math.round(ceil.ms) : null;
      const recordOverCeiling = ceil ? Math.round((rec.ms / ceil.ms) * 100) / 100 : null;
      rounds.push({ events: rec.events, rows: ceil?.rows ?? null, round, recordWallMs: Math.round(rec.ms), ceilingWallMs, recordOverCeiling, load1, order: ceilingFirst ? 'ceiling first' : 'record first' });
      if (rec.events >= big.events) big = rec;
    }
  }
  const rssBig = rss();
  const heapBig = heap();
  const last = rounds.filter((x) => x.events === big.events).at(-1) as RecordRound;
  const ceilingRowsPerSec = last.rows !== null && last.ceilingWallMs !== null ? last.rows / (last.ceilingWallMs / 1000) : null;
  const recordEventsPerSec = big.events / (last.recordWallMs / 1000);
  const fileBytes = fs.statSync(big.file).size;

  // Open to first window: a fresh reader, meta, lanes, then the whole run at 1200 px.
  const W = 1200;
  const t0 = performance.now();
  const r = new TraceReader(big.file);
  const end = r.meta().endTimeNs;
  r.actors();
  r.window(0, end, W);
  const openMs = performance.now() - t0;

  const rnd = lcg(42);
  const st: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t = Math.floor(rnd() * end);
    const a = performance.now();
    r.stateAt(t);
    st.push(performance.now() - a);
  }
  const steps: number[] = [];
  const firstSeq = Math.floor(r.countRows() * 0.7);
  const stepTimes = r.eventsBetween(firstSeq, firstSeq + 199).map((e) => e.tNs);
  for (const t of stepTimes) {
    const a = performance.now();
    r.stateAt(t);
    steps.push(performance.now() - a);
  }
  // Zoom levels from the whole run down to ~1/2^22 of it, at random positions.
  const win: number[] = [];
  const winLanes: number[] = [];
  let worst = 0;
  const lanes = r.actors().slice(0, 40).map((a) => a.id);
  for (let i = 0; i < 200; i++) {
    const span = Math.max(W, Math.floor(end / 2 ** Math.floor(rnd() * 23)));
    const from = Math.floor(rnd() * Math.max(1, end - span));
    let a = performance.now();
    const w = r.window(from, from + span, W);
    win.push(performance.now() - a);
    for (const t of w.tracks) worst = Math.max(worst, (t.spans.length + t.states.length + t.instants.length + t.counters.reduce((n, c) => n + c.points.length, 0)) / W);
    a = performance.now();
    r.window(from, from + span, W, lanes);
    winLanes.push(performance.now() - a);
  }
  r.close();
  const rssQueries = rss();
  const heapQueries = heap();
  await svc.close();
  return {
    rounds,
    events: big.events,
    recordWallMs: last.recordWallMs,
    recordEventsPerSec: Math.round(recordEventsPerSec),
    ceilingRowsPerSec: ceilingRowsPerSec === null ? null : Math.round(ceilingRowsPerSec),
    recordOverCeiling: last.recordOverCeiling,
    bytesPerEvent: Math.round((fileBytes / big.events) * 10) / 10,
    fileBytes,
    openToFirstWindowMs: Math.round(openMs * 10) / 10,
    stateMs: pct(st),
    stateStepMs: pct(steps),
    windowMs: { ...pct(win), width: W },
    windowVisibleLanesMs: { ...pct(winLanes), width: W, lanes: lanes.length },
    windowMaxItemsPerPixelPerTrack: Math.round(worst * 100) / 100,
    rssMiB: { before: rssBefore, afterSmallTrace: rssSmall, afterBigTrace: rssBig, afterQueries: rssQueries },
    mainHeapMiB: { before: heapBefore, afterSmallTrace: heapSmall, afterBigTrace: heapBig, afterQueries: heapQueries },
  };
}

/** The readable table for `npm run bench`. */
export function formatTraceBench(b: TraceBench): string {
  const ok = (v: boolean) => (v ? 'ok' : 'MISSED');
  const ratio = (x: number | null) => (x === null ? 'not measured (BENCH_CEILING=0)' : `target <= 1.3: ${ok(x <= 1.3)}`);
  const rows: [string, string, string][] = [
    ...b.rounds.map((r): [string, string, string] => [
      `record/ceiling, ${(r.events / 1e6).toLocaleString('en')}M events, round ${r.round}`,
      `${r.recordOverCeiling}  (${r.recordWallMs} / ${r.ceilingWallMs} ms)`,
      `${ratio(r.recordOverCeiling)}  load ${r.load1}, ${r.order}`,
    ]),
    ['events recorded (stress), the latency figures below', b.events.toLocaleString('en'), ''],
    ['sim+record', `${Math.round(b.recordEventsPerSec / 1000)} k events/s`, ''],
    ['storage ceiling (the same rows of every table, bare)', b.ceilingRowsPerSec === null ? '-' : `${Math.round(b.ceilingRowsPerSec / 1000)} k rows/s`, 'schema, statements, batches, pragmas, indexes as the writer'],
    ['record/ceiling, last round, biggest trace', `${b.recordOverCeiling}`, ratio(b.recordOverCeiling)],
    ['bytes per event', `${b.bytesPerEvent}`, `${mib(b.fileBytes)} MiB file`],
    ['open to first window', `${b.openToFirstWindowMs} ms`, `target <= 200 ms: ${ok(b.openToFirstWindowMs <= 200)}`],
    ['state at t p50 / p95', `${b.stateMs.p50} / ${b.stateMs.p95} ms`, `target p95 <= 5 ms: ${ok(b.stateMs.p95 <= 5)}`],
    ['state at t, stepping event by event p50 / p95', `${b.stateStepMs.p50} / ${b.stateStepMs.p95} ms`, ''],
    ['window (all tracks) p50 / p95', `${b.windowMs.p50} / ${b.windowMs.p95} ms`, `target p95 <= 8 ms: ${ok(b.windowMs.p95 <= 8)}`],
    [`window (${b.windowVisibleLanesMs.lanes} lanes) p50 / p95`, `${b.windowVisibleLanesMs.p50} / ${b.windowVisibleLanesMs.p95} ms`, `target p95 <= 8 ms: ${ok(b.windowVisibleLanesMs.p95 <= 8)}`],
    ['window items per pixel per track (max)', `${b.windowMaxItemsPerPixelPerTrack}`, `target <= ~2: ${ok(b.windowMaxItemsPerPixelPerTrack <= 2.01)}`],
    ['process RSS before / 200k trace / big trace / after queries', `${b.rssMiB.before} / ${b.rssMiB.afterSmallTrace} / ${b.rssMiB.afterBigTrace} / ${b.rssMiB.afterQueries} MiB`, 'includes the workers'],
    ['main-thread heap, same points', `${b.mainHeapMiB.before} / ${b.mainHeapMiB.afterSmallTrace} / ${b.mainHeapMiB.afterBigTrace} / ${b.mainHeapMiB.afterQueries} MiB`, 'flat as traces grow'],
  ];
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  return `\ntrace (measured on this machine)\n${rows.map(([a, v, t]) => `  ${a.padEnd(w0)}  ${v.padEnd(w1)}  ${t}`.trimEnd()).join('\n')}\n`;
}
