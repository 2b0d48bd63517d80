import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { KIND, KINDS } from '../../main/sim/events';
import { runScenario } from '../../main/sim/run';
import { StateFold } from '../../main/sim/state';
import { TraceFileError } from '../../main/trace/errors';
import { TraceReader } from '../../main/trace/reader';
import { decodeLod } from '../../main/trace/lod';
import { LOD_ALL_MIN_LEVEL, LOD_ALL_RECORD, LOD_CHUNK, LOD_LEVELS, LOD_RECORD, READABLE_FORMAT_VERSIONS, TRACE_FORMAT_VERSION } from '../../main/trace/schema';
import { fingerprint, recordInline, tempDir } from './helpers';

const dir = tempDir();
const dma = path.join(dir, 'dma.sqlite');
const oom = path.join(dir, 'oom.sqlite');
const stress = path.join(dir, 'stress.sqlite');
let dmaSummary: ReturnType<typeof recordInline>;
let stressSummary: ReturnType<typeof recordInline>;

beforeAll(() => {
  dmaSummary = recordInline(dma, 'sigkill-during-dma');
  recordInline(oom, 'oom-bound-victim');
  stressSummary = recordInline(stress, 'stress', { events: 20_000 }, 1, 512);
});

describe('trace format', () => {
  it('has the tables, the event_log view with its exact columns, and meta', () => {
    const db = new Database(dma, { readonly: true });
    const names = db.prepare("SELECT name FROM sqlite_master WHERE type IN ('table','view')").pluck().all();
    for (const t of ['meta', 'events', 'kinds', 'actors', 'event_log', 'spans', 'checkpoints', 'lod', 'lod_all', 'annotations']) expect(names).toContain(t);
    expect(db.prepare('SELECT * FROM event_log LIMIT 1').columns().map((c) => c.name)).toEqual(['seq', 't_ns', 'kind', 'actor', 'cause_seq', 'args_json']);
    expect(db.prepare('PRAGMA table_info(events)').all().map((c) => (c as { name: string }).name)).toEqual(['seq', 't_ns', 'kind', 'actor', 'cause_seq', 'a', 'b', 'args']);
    const m = db.prepare('SELECT * FROM meta').get() as Record<string, unknown>;
    expect(m).toMatchObject({ format_version: TRACE_FORMAT_VERSION, scenario: 'sigkill-during-dma', seed: 1, status: 'complete', event_count: dmaSummary.events, end_time_ns: dmaSummary.endTimeNs, digest: dmaSummary.digest });
    expect(db.prepare('SELECT count(*) FROM events').pluck().get()).toBe(dmaSummary.events);
    expect(db.prepare('SELECT count(*) FROM kinds').pluck().get()).toBe(KINDS.length);
    // event_log names kinds and actors, and keeps a and b in args_json.
    const e = db.prepare("SELECT * FROM event_log WHERE kind = 'release_begin' LIMIT 1").get() as Record<string, unknown>;
    expect(typeof e.actor).toBe('string');
    expect(JSON.parse(e.args_json as string)).toHaveProperty('a');
    db.close();
    // A finished trace is in rollback-journal mode: readers need no side files.
    expect(fs.existsSync(`${dma}-wal`)).toBe(false);
  });

  it('derives spans for release(), the DMA stop, locks held, tasks blocked and reaper passes', () => {
    const db = new Database(dma, { readonly: true });
    const cats = db.prepare('SELECT DISTINCT cat FROM spans').pluck().all();
    expect(cats).toEqual(expect.arrayContaining(['release', 'fn', 'held', 'blocked']));
    const rel = db.prepare("SELECT count(*) FROM spans WHERE cat = 'release' AND end_seq IS NOT NULL").pluck().get();
    expect(rel).toBe(dmaSummary.metrics.releaseLatencyNs.count);
    const maxRel = db.prepare("SELECT max(dur) FROM spans WHERE cat = 'release'").pluck().get();
    expect(maxRel).toBe(dmaSummary.metrics.releaseLatencyNs.max);
    expect(db.prepare("SELECT count(*) FROM spans WHERE name = 'stop_queue'").pluck().get()).toBeGreaterThan(0);
    // Every span's begin and end are real events of the right kinds, begin before end.
    const bad = db.prepare(`SELECT count(*) FROM spans s JOIN events b ON b.seq = s.begin_seq JOIN events e ON e.seq = s.end_seq
      WHERE b.t_ns != s.t0 OR e.t_ns != s.t1 OR s.t1 < s.t0 OR b.actor != s.actor`).pluck().get();
    expect(bad).toBe(0);
    db.close();
    const odb = new Database(oom, { readonly: true });
    expect(odb.prepare("SELECT count(*) FROM spans WHERE cat = 'oom_reap'").pluck().get()).toBeGreaterThan(0);
    odb.close();
  });

  it('writes checkpoints every N events and LOD buckets at power-of-two widths that sum to the events', () => {
    const db = new Database(stress, { readonly: true });
    const cks = db.prepare('SELECT seq FROM checkpoints ORDER BY seq').pluck().all() as number[];
    expect(cks[0]).toBe(0);
    expect(cks[1]).toBe(512);
    expect(cks.length).toBe(Math.floor(stressSummary.events / 512) + 1);
    // Small states are JSON text; big ones are deflated (both kinds occur here).
    const kinds = db.prepare('SELECT DISTINCT typeof(state_json) FROM checkpoints ORDER BY 1').pluck().all();
    expect(kinds).toEqual(['blob', 'text']);
    for (const level of LOD_LEVELS) {
      const n = db.prepare('SELECT sum(n) FROM lod WHERE level = ?').pluck().get(level);
      expect(n, `level ${level}`).toBe(stressSummary.events);
      // The blobs agree with their n, and every bucket lies in its chunk.
      for (const [chunk, rowN, width, blob] of db.prepare('SELECT chunk, n, width, data FROM lod WHERE level = ?').raw(true).all(level) as [number, number, number, Buffer][]) {
        const d = decodeLod(blob, width);
        let sum = 0;
        for (let o = 0; o < d.length; o += LOD_RECORD) {
          sum += d[o + 1];
          expect(Math.floor(d[o] / LOD_CHUNK)).toBe(chunk);
        }
        expect(sum).toBe(rowN);
      }
    }
    db.close();
  });

  it('holds every lane of a (level, chunk) in one lod_all row, with the records of lod', () => {
    const db = new Database(stress, { readonly: true });
    expect(db.prepare('SELECT count(*) FROM lod_all WHERE level < ?').pluck().get(LOD_ALL_MIN_LEVEL)).toBe(0);
    for (const level of LOD_LEVELS.filter((l) => l >= LOD_ALL_MIN_LEVEL)) {
      const fromLod: number[][] = [];
      for (const [actor, kind, width, blob] of db.prepare('SELECT actor, kind, width, data FROM lod WHERE level = ? ORDER BY chunk, actor, kind').raw(true).all(level) as [number, number, number, Buffer][]) {
        const d = decodeLod(blob, width);
        for (let o = 0; o < d.length; o += LOD_RECORD) fromLod.push([actor, kind, ...d.subarray(o, o + LOD_RECORD)]);
      }
      const fromAll: number[][] = [];
      for (const [chunk, n, width, blob] of db.prepare('SELECT chunk, n, width, data FROM lod_all WHERE level = ? ORDER BY chunk').raw(true).all(level) as [number, number, number, Buffer][]) {
        const d = decodeLod(blob, width);
        let sum = 0;
        for (let o = 0; o < d.length; o += LOD_ALL_RECORD) {
          fromAll.push([...d.subarray(o, o + LOD_ALL_RECORD)]);
          sum += d[o + 3];
          expect(Math.floor(d[o + 2] / LOD_CHUNK)).toBe(chunk);
        }
        expect(sum).toBe(n);
      }
      expect(fromAll, `level ${level}`).toEqual(fromLod);
    }
    db.close();
    // A window of every track (read from lod_all) is the one read lane by lane from lod.
    const r = new TraceReader(stress);
    const ids = r.actors().map((a) => a.id);
    expect(ids.length).toBeLessThanOrEqual(256);
    const end = r.meta().endTimeNs;
    for (const [from, to] of [[0, end], [Math.floor(end / 4), end]]) {
      const all = r.windowData(from, to, 2);
      expect(all.level).toBeGreaterThanOrEqual(LOD_ALL_MIN_LEVEL);
      expect(r.windowData(from, to, 2, ids)).toEqual(all);
    }
    // Buckets of a track come in time order; buckets of one time in lane order (kinds, then the rest).
    const fine = r.windowData(0, end, 1200);
    let checked = 0;
    for (const t of fine.tracks) {
      for (let i = 1; i < t.buckets.length; i++) {
        const [p, q] = [t.buckets[i - 1], t.buckets[i]];
        expect(q.t0).toBeGreaterThanOrEqual(p.t0);
        if (q.t0 === p.t0) expect(q.kind ?? 127).toBeGreaterThan(p.kind ?? 127);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(100);
    r.close();
  });

  it('recomputes the metrics the run printed (round trip)', () => {
    for (const [f, s] of [[dma, dmaSummary], [stress, stressSummary]] as const) {
      const r = new TraceReader(f);
      expect(r.recomputeMetrics()).toEqual(s.metrics);
      expect(r.meta().metrics).toEqual(s.metrics);
      r.close();
    }
  });
});

describe('state at t', () => {
  it('equals the live fold at the same instant, from checkpoint plus replay', () => {
    const r = new TraceReader(stress);
    const end = r.meta().endTimeNs;
    const times = [0, 1, Math.floor(end / 7), Math.floor(end / 2), Math.floor((end * 5) / 6), end, end + 1000];
    // The live fold, sampled at the last event at or before each time.
    const expected = new Map<number, string>();
    const fold = new StateFold();
    let pending = [...times].sort((a, b) => a - b);
    runScenario('stress', { events: 20_000 }, 1, {
      sinks: [
        fold,
        {
          actor() {},
          event(_s, t) {
            while (pending.length && pending[0] < t) expected.set(pending.shift() as number, JSON.stringify(fold.view()));
          },
        },
      ],
    });
    for (const t of pending) expected.set(t, JSON.stringify(fold.view()));
    pending = [];
    for (const t of times) {
      // The sink above runs after the fold saw the event at t' > t, so compare through a fresh fold instead.
      const got = r.stateAt(t);
      expect(got.atNs).toBe(t);
      const ref = new StateFold();
      for (const a of r.actors()) ref.actor(a.id, a.name, a.track);
      for (const row of r.rows()) {
        if (row[1] > t) break;
        ref.event(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7]);
      }
      expect(JSON.stringify({ atNs: t, ...ref.view() })).toBe(JSON.stringify(got));
    }
    r.close();
  });
});

describe('state while scrubbing', () => {
  it('gives the same answers stepping forward, backward and jumping as a fresh reader does', () => {
    const r = new TraceReader(stress);
    const end = r.meta().endTimeNs;
    const times = [end / 3, end / 3 + 10, end / 3 + 5000, end / 3 + 1, end / 2, end / 9, end / 9 + 70_000, end, 0].map(Math.floor);
    const got = times.map((t) => JSON.stringify(r.stateAt(t)));
    r.close();
    for (let i = 0; i < times.length; i++) {
      const fresh = new TraceReader(stress);
      expect(got[i], `t=${times[i]}`).toBe(JSON.stringify(fresh.stateAt(times[i])));
      fresh.close();
    }
  });
});

describe('window', () => {
  it('never returns more than about 2 items per pixel per track, at any zoom', () => {
    const r = new TraceReader(stress);
    const end = r.meta().endTimeNs;
    for (const width of [50, 400, 1200]) {
      for (let z = 0; z <= 20; z += 2) {
        const span = Math.max(width, Math.floor(end / 2 ** z));
        const from = Math.floor((end - span) / 3);
        const w = r.windowData(from, from + span, width);
        for (const t of w.tracks) {
          expect(t.buckets.length + t.events.length + t.spans.length, `zoom ${z} width ${width} ${t.name}`).toBeLessThanOrEqual(2 * width + 2);
        }
      }
    }
    r.close();
  });

  it('reads buckets zoomed out and raw events zoomed in, and finds release() as a span', () => {
    const r = new TraceReader(dma);
    const end = r.meta().endTimeNs;
    const out = r.windowData(0, end, 300);
    expect(out.level).not.toBeNull();
    expect(out.tracks.reduce((n, t) => n + t.events.length, 0)).toBe(0);
    const [t0, t1] = r.query("SELECT t0, t1 FROM spans WHERE cat = 'release' LIMIT 1").rows[0] as [number, number];
    const rel = { t0, t1 };
    const zin = r.windowData(rel.t0 - 1000, rel.t1 + 1000, 1000);
    expect(zin.level).toBeNull();
    expect(zin.tracks.some((t) => t.spans.some((s) => s.cat === 'release'))).toBe(true);
    expect(zin.tracks.some((t) => t.events.length > 0)).toBe(true);
    // Bucket counts at the coarsest view add up to the events in range.
    const total = out.tracks.reduce((n, t) => n + t.buckets.reduce((m, b) => m + b.n, 0), 0);
    expect(total).toBe(r.countRows());
    r.close();
  });
});

describe('query', () => {
  it('answers reads and refuses writes, leaving the file untouched', () => {
    const before = fingerprint(dma);
    const r = new TraceReader(dma);
    expect(r.query("SELECT count(*) AS n FROM event_log WHERE kind = 'release_begin'").rows[0][0]).toBe(dmaSummary.metrics.releaseLatencyNs.count);
    for (const sql of ['DELETE FROM events', "UPDATE meta SET status = 'x'", 'DROP TABLE events', 'CREATE TABLE x (a)', "INSERT INTO annotations (t_ns, kind, text, created) VALUES (0, 'n', 'x', 'now')", 'PRAGMA user_version = 7', "ATTACH 'x.db' AS x"]) {
      expect(() => r.query(sql), sql).toThrow(TraceFileError);
    }
    expect(() => r.query('SELECT 1; DELETE FROM events')).toThrow(/single statement/);
    r.close();
    expect(fingerprint(dma)).toBe(before);
    expect(fs.existsSync(`${dma}-wal`)).toBe(false);
    expect(fs.existsSync(`${dma}-shm`)).toBe(false);
  });
});

describe('untrusted files', () => {
  const bad = (name: string, make: (f: string) => void): string => {
    const f = path.join(dir, name);
    make(f);
    return f;
  };
  const expectRefused = (f: string, re: RegExp) => {
    const before = fs.existsSync(f) ? fingerprint(f) : null;
    let err: unknown;
    try {
      new TraceReader(f).close();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TraceFileError);
    const msg = (err as Error).message;
    expect(msg).toContain(f);
    expect(msg).toMatch(re);
    expect(msg.split('\n')).toHaveLength(1);
    if (before) expect(fingerprint(f)).toBe(before);
    expect(fs.existsSync(`${f}-wal`)).toBe(false);
    expect(fs.existsSync(`${f}-shm`)).toBe(false);
  };

  it('refuses a missing path and a folder', () => {
    expectRefused(path.join(dir, 'nope.sqlite'), /does not exist/);
    expectRefused(dir, /folder/);
  });
  it('refuses a file that is not SQLite, and an empty one', () => {
    expectRefused(bad('text.sqlite', (f) => fs.writeFileSync(f, 'hello, this is not a database at all\n'.repeat(10))), /not an SQLite database/);
    expectRefused(bad('empty.sqlite', (f) => fs.writeFileSync(f, '')), /not an SQLite database/);
  });
  it('refuses another application’s SQLite file', () => {
    expectRefused(bad('other.sqlite', (f) => {
      const db = new Database(f);
      db.exec('CREATE TABLE t (a)');
      db.close();
    }), /not an SVA Lab trace/);
  });
  it('refuses a truncated or corrupted trace', () => {
    expectRefused(bad('trunc.sqlite', (f) => {
      const b = fs.readFileSync(dma);
      fs.writeFileSync(f, b.subarray(0, Math.floor(b.length / 3)));
    }), /truncated/);
    const f = bad('corrupt.sqlite', (x) => {
      const b = Buffer.from(fs.readFileSync(dma));
      // Keep the header, scribble over the schema page and beyond.
      for (let i = 100; i < Math.min(b.length, 64 * 1024); i++) b[i] = (i * 31) & 0xff;
      fs.writeFileSync(x, b);
    });
    expectRefused(f, /corrupt|not a/);
  });
  it('refuses a trace with tables missing', () => {
    expectRefused(bad('missing.sqlite', (f) => {
      fs.copyFileSync(dma, f);
      const db = new Database(f);
      db.exec('DROP TABLE lod; DROP TABLE checkpoints');
      db.close();
    }), /lacks the tables lod, checkpoints|lacks the tables checkpoints, lod/);
  });
  it('refuses another format version, naming both versions', () => {
    expectRefused(bad('v99.sqlite', (f) => {
      fs.copyFileSync(dma, f);
      const db = new Database(f);
      db.pragma('user_version = 99');
      db.close();
    }), new RegExp(`format version 99; this build reads format version ${READABLE_FORMAT_VERSIONS.join(' or ')} only`));
  });
  it('reads a trace left in WAL mode without leaving side files behind', () => {
    const f = bad('wal.sqlite', (x) => {
      fs.copyFileSync(dma, x);
      const db = new Database(x);
      db.pragma('journal_mode = WAL');
      db.close();
    });
    const r = new TraceReader(f);
    expect(r.meta().scenario).toBe('sigkill-during-dma');
    r.close();
    expect(fs.existsSync(`${f}-wal`)).toBe(false);
    expect(fs.existsSync(`${f}-shm`)).toBe(false);
  });
});

describe('kinds table', () => {
  it('stores every kind with its role and span name', () => {
    const db = new Database(dma, { readonly: true });
    const row = db.prepare('SELECT * FROM kinds WHERE id = ?').get(KIND.release_begin) as Record<string, unknown>;
    expect(row).toMatchObject({ name: 'release_begin', role: 'begin', span: 'release' });
    db.close();
  });
});
