import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { archiveDir } from '../../main/lab/archive';
import { UserError } from '../../main/lab/errors';
import { LabService, type RunResult } from '../../main/lab/service';
import { parseRange, parseTimeNs } from '../../main/lab/units';
import { APP_VERSION } from '../../main/lab/version';
import { runScenario } from '../../main/sim/run';
import { TraceReader } from '../../main/trace/reader';
import { fingerprint, tempDir } from '../trace/helpers';

const home = tempDir('sva-lab-home-');
const svc = new LabService(home);
let dma: RunResult;
let dmaQuiet: RunResult;

beforeAll(async () => {
  [dma, dmaQuiet] = await Promise.all([
    svc.run({ scenario: 'sigkill-during-dma', params: { mmExit: true } }),
    svc.run({ scenario: 'sigkill-during-dma', params: { mmExit: 'false' } }),
  ]);
});

/** Rows in the events table and the count meta claims: a readable trace has them equal. */
function counts(file: string): { rows: number; meta: number; status: string } {
  const r = new TraceReader(file);
  const out = { rows: r.countRows(), meta: r.meta().events, status: r.meta().status };
  r.close();
  return out;
}

describe('run in the sim worker', () => {
  it('records into the archive, with the same summary as the inline run', () => {
    const inline = runScenario('sigkill-during-dma', { mmExit: true }, 1);
    expect(path.dirname(dma.trace)).toBe(home);
    expect(fs.existsSync(dma.trace)).toBe(true);
    const { trace, ...summary } = dma;
    expect(trace).toMatch(/sigkill-during-dma-mm_exit-s1\.sqlite$/);
    expect(summary).toEqual(inline);
    expect(counts(dma.trace)).toEqual({ rows: inline.events, meta: inline.events, status: 'complete' });
  });

  it('writes to --out instead, and refuses an existing --out', async () => {
    const out = path.join(tempDir(), 'x.sqlite');
    const r = await svc.run({ scenario: 'oom-bound-victim', out });
    expect(r.trace).toBe(out);
    expect(counts(out).status).toBe('complete');
    await expect(svc.run({ scenario: 'oom-bound-victim', out })).rejects.toThrow(/already exists/);
  });

  it('refuses bad scenarios and parameters with one sentence', async () => {
    await expect(svc.run({ scenario: 'nope' })).rejects.toThrow(UserError);
    await expect(svc.run({ scenario: 'stress', params: { events: 'many' } })).rejects.toThrow(/Parameter 'events'/);
  });

  it('reports progress and cancels: the trace stays readable and is marked cancelled', async () => {
    const ac = new AbortController();
    const seen: number[] = [];
    const r = await svc.run({ scenario: 'stress', params: { events: 3_000_000 } }, {
      signal: ac.signal,
      onProgress: (p) => {
        seen.push(p.events);
        if (p.events >= 40_000) ac.abort();
      },
    }, { progressEvery: 8192 });
    expect(seen.length).toBeGreaterThan(0);
    expect(r.status).toBe('cancelled');
    expect(r.events).toBeLessThan(3_000_000);
    const c = counts(r.trace);
    expect(c).toEqual({ rows: r.events, meta: r.events, status: 'cancelled' });
    const v = await svc.verify(r.trace);
    expect(v.match).toBe(true);
  });

  it('keeps what was written when the worker dies, and marks the trace failed', async () => {
    const r = await svc.run({ scenario: 'stress', params: { events: 200_000 } }, {}, { crashAfterEvents: 50_000 });
    expect(r.status).toBe('failed');
    expect(r.error).toMatch(/exited with code 70/);
    const c = counts(r.trace);
    expect(c.status).toBe('failed');
    expect(c.rows).toBe(c.meta);
    // Batches are committed whole: what is there is a prefix of the real run.
    expect(c.rows).toBeGreaterThan(0);
    expect(c.rows).toBeLessThanOrEqual(50_000);
    expect(fs.existsSync(`${r.trace}-wal`)).toBe(false);
    const s = await svc.summary(r.trace);
    expect(s.events).toBe(c.rows);
    expect((await svc.verify(r.trace)).match).toBe(true);
  });

  it('keeps what was written when the worker is killed mid-run', async () => {
    let handle: { terminate(): Promise<void> } | null = null;
    let killed = false;
    const r = await svc.run({ scenario: 'stress', params: { events: 3_000_000 } }, {
      onProgress: (p) => {
        // The sim runs at most 4 batches (16k events each) ahead of the writer: some are committed by now.
        if (p.events >= 150_000 && !killed && handle) {
          killed = true;
          void handle.terminate();
        }
      },
    }, { progressEvery: 8192, onWorker: (h) => (handle = h) });
    expect(killed).toBe(true);
    expect(r.status).toBe('failed');
    expect(r.error).toMatch(/exited/);
    const c = counts(r.trace);
    expect(c.rows).toBe(c.meta);
    expect(c.rows).toBeGreaterThan(0);
    expect(c.status).toBe('failed');
  });
});

describe('archive', () => {
  it('defaults to the platform user-data folder unless SVA_LAB_HOME is set', () => {
    expect(archiveDir({ SVA_LAB_HOME: '/x/y' }, 'linux')).toBe(path.resolve('/x/y'));
    expect(archiveDir({ XDG_DATA_HOME: '/d' }, 'linux')).toBe(path.join('/d', 'sva-lab'));
    expect(archiveDir({}, 'linux')).toMatch(/\.local[\\/]share[\\/]sva-lab$/);
    expect(archiveDir({}, 'darwin')).toMatch(/Library[\\/]Application Support[\\/]sva-lab$/);
    expect(archiveDir({ APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, 'win32')).toMatch(/sva-lab$/);
  });

  it('lists runs with scenario, design, key parameters, status and key metrics', async () => {
    const list = await svc.list();
    const e = list.find((x) => x.file === dma.trace);
    expect(e).toMatchObject({ scenario: 'sigkill-during-dma', design: 'mm_exit', status: 'complete', events: dma.events });
    expect(e?.keyParams).toHaveProperty('mmExit', true);
    expect(e?.metrics?.releaseLatencyNs).toEqual(dma.metrics.releaseLatencyNs);
    expect(list.find((x) => x.file === dmaQuiet.trace)?.design).toBe('quiet');
  });

  it('imports a valid trace and refuses a bad one without copying it', async () => {
    const other = new LabService(tempDir('sva-lab-other-'));
    const got = await other.import(dma.trace);
    expect(fs.existsSync(got.file)).toBe(true);
    expect(got).toMatchObject({ scenario: 'sigkill-during-dma', status: 'complete', events: dma.events });
    const junk = path.join(tempDir(), 'junk.sqlite');
    fs.writeFileSync(junk, 'not a trace');
    await expect(other.import(junk)).rejects.toThrow(/junk\.sqlite' is not an SVA Lab trace/);
    expect((await other.list()).length).toBe(1);
  });
});

describe('analysis', () => {
  it('summary recomputes the metrics the run printed', async () => {
    const s = await svc.summary(dma.trace);
    expect(s.metrics).toEqual(dma.metrics);
    expect(s.digest).toBe(dma.digest);
  });

  it('compare gives the metric diff and the first divergence (null when identical)', async () => {
    const same = await svc.compare(dma.trace, dma.trace);
    expect(same.firstDivergence).toBeNull();
    expect(Object.values(same.metrics).every((d) => d.delta === null || d.delta === 0)).toBe(true);
    const c = await svc.compare(dma.trace, dmaQuiet.trace);
    expect(c.firstDivergence).not.toBeNull();
    const d = c.firstDivergence as NonNullable<typeof c.firstDivergence>;
    expect(d.seq).toBeGreaterThan(0);
    expect(d.a?.seq).toBe(d.seq);
    expect(c.metrics['releaseLatencyNs.max'].a).toBe(dma.metrics.releaseLatencyNs.max);
  });

  it('verify passes on an honest trace and finds the first divergence on a tampered one', async () => {
    expect((await svc.verify(dma.trace)).match).toBe(true);
    const bad = path.join(tempDir(), 'tampered.sqlite');
    fs.copyFileSync(dma.trace, bad);
    const db = new Database(bad);
    db.prepare('UPDATE events SET a = a + 1 WHERE seq = 1234').run();
    db.close();
    const v = await svc.verify(bad);
    expect(v.match).toBe(false);
    expect(v.firstDivergence?.seq).toBe(1234);
    expect(v.firstDivergence?.a?.a).toBe((v.firstDivergence?.b?.a ?? 0) + 1);
  });

  it('exports Chrome Trace Event JSON that Perfetto reads, and CSV', async () => {
    const out = path.join(tempDir(), 'x.json');
    const r = await svc.export(dma.trace, 'chrome-json', out);
    expect(r.bytes).toBe(fs.statSync(out).size);
    const doc = JSON.parse(fs.readFileSync(out, 'utf8')) as { traceEvents: Record<string, unknown>[] };
    const ev = doc.traceEvents;
    expect(ev.some((e) => e.ph === 'M' && e.name === 'thread_name')).toBe(true);
    const rel = ev.filter((e) => e.ph === 'X' && e.cat === 'release');
    expect(rel.every((e) => String(e.name).includes('release'))).toBe(true);
    expect(rel.length).toBe(dma.metrics.releaseLatencyNs.count);
    expect(Math.max(...rel.map((e) => e.dur as number))).toBeCloseTo((dma.metrics.releaseLatencyNs.max as number) / 1000);
    expect(ev.some((e) => e.ph === 'C')).toBe(true);
    expect(ev.some((e) => e.ph === 'i')).toBe(true);
    const last = ev.filter((e) => e.ph === 'i').map((e) => e.ts as number);
    expect(Math.max(...last)).toBeCloseTo(dma.endTimeNs / 1000);
    const csv = path.join(tempDir(), 'x.csv');
    await svc.export(dma.trace, 'csv', csv);
    const lines = fs.readFileSync(csv, 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe('seq,t_ns,kind,actor,cause_seq,args_json');
    expect(lines.length).toBe(dma.events + 1);
    await expect(svc.export(dma.trace, 'pdf', csv)).rejects.toThrow(/valid formats: chrome-json, csv/);
  });

  it('query refuses writes and leaves the file untouched', async () => {
    const before = fingerprint(dma.trace);
    expect((await svc.query(dma.trace, 'SELECT count(*) FROM events')).rows[0][0]).toBe(dma.events);
    await expect(svc.query(dma.trace, 'DELETE FROM events')).rejects.toThrow(UserError);
    await expect(svc.query(dma.trace, 'DELETE FROM events')).rejects.toThrow(/refused/);
    expect(fingerprint(dma.trace)).toBe(before);
  });

  it('state answers several times in order; window answers several ranges', async () => {
    const s = await svc.state(dma.trace, [parseTimeNs('25ms'), parseTimeNs('1ms')]);
    expect(s.map((x) => x.atNs)).toEqual([25_000_000, 1_000_000]);
    expect(s[0].tasks.length).toBeGreaterThan(0);
    expect(s[0].pasids).toBeDefined();
    const w = await svc.window(dma.trace, [parseRange('0:30ms'), parseRange('20ms:20.05ms')], 600);
    expect(w).toHaveLength(2);
    expect(w[0].level).not.toBeNull();
  });

  it('refuses bad files with one sentence naming them', async () => {
    await expect(svc.summary(path.join(home, 'missing.sqlite'))).rejects.toThrow(/missing\.sqlite' does not exist/);
  });
});

describe('small parts', () => {
  it('parses times and ranges', () => {
    expect(parseTimeNs('5ms')).toBe(5_000_000);
    expect(parseTimeNs('1.5s')).toBe(1_500_000_000);
    expect(parseTimeNs('20us')).toBe(20_000);
    expect(parseTimeNs('123')).toBe(123);
    expect(() => parseTimeNs('soon')).toThrow(UserError);
    expect(parseRange('1ms:2ms')).toEqual({ fromNs: 1_000_000, toNs: 2_000_000 });
    expect(() => parseRange('2ms:1ms')).toThrow(/end after/);
  });
  it('writes the package version into traces', () => {
    const pkg = JSON.parse(fs.readFileSync(path.resolve('package.json'), 'utf8')) as { version: string };
    expect(APP_VERSION).toBe(pkg.version);
  });
});
