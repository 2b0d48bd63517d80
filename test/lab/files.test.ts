import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../main/lab/errors';
import { createLab } from '../../main/lab/lab';
import type { RunResult } from '../../main/lab/runs';
import { parseRange, parseTimeNs } from '../../main/lab/units';
import { fingerprint, tempDir } from '../trace/helpers';

// The lab over trace files named by path (the command line's FILE arguments), in the archive or not.
const home = tempDir('sva-lab-home-');
const svc = createLab(home);
let dma: RunResult;
let dmaQuiet: RunResult;

beforeAll(async () => {
  [dma, dmaQuiet] = await Promise.all([
    svc.record({ scenario: 'sigkill-during-dma', params: { mmExit: true } }),
    svc.record({ scenario: 'sigkill-during-dma', params: { mmExit: 'false' } }),
  ]);
});

const id = (file: string) => svc.runOf(file);

describe('analysis', () => {
  it('summary recomputes the metrics the run printed', async () => {
    const s = await svc.summary(id(dma.trace));
    expect(s.metrics).toEqual(dma.metrics);
    expect(s.digest).toBe(dma.digest);
  });

  it('compare gives the metric diff and the first divergence (null when identical)', async () => {
    const same = await svc.compareRuns(id(dma.trace), id(dma.trace));
    expect(same.firstDivergence).toBeNull();
    expect(Object.values(same.metrics).every((d) => d.delta === null || d.delta === 0)).toBe(true);
    const c = await svc.compareRuns(id(dma.trace), id(dmaQuiet.trace));
    expect(c.firstDivergence).not.toBeNull();
    const d = c.firstDivergence as NonNullable<typeof c.firstDivergence>;
    expect(d.seq).toBeGreaterThan(0);
    expect(d.a?.seq).toBe(d.seq);
    expect(c.metrics.find((m) => m.name === 'releaseLatencyNs.max')?.a).toBe(dma.metrics.releaseLatencyNs.max);
  });

  it('verify passes on an honest trace and finds the first divergence on a tampered one', async () => {
    expect((await svc.verifyRun(id(dma.trace))).match).toBe(true);
    const bad = path.join(tempDir(), 'tampered.sqlite');
    fs.copyFileSync(dma.trace, bad);
    const db = new Database(bad);
    db.prepare('UPDATE events SET a = a + 1 WHERE seq = 1234').run();
    db.close();
    const v = await svc.verifyRun(id(bad));
    expect(v.match).toBe(false);
    expect(v.firstDivergence?.seq).toBe(1234);
    expect(v.firstDivergence?.a?.a).toBe((v.firstDivergence?.b?.a ?? 0) + 1);
  });

  it('exports Chrome Trace Event JSON that Perfetto reads, and CSV', async () => {
    const out = path.join(tempDir(), 'x.json');
    const r = await svc.exportTo(id(dma.trace), 'chrome-json', out);
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
    await svc.exportTo(id(dma.trace), 'csv', csv);
    const lines = fs.readFileSync(csv, 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe('seq,t_ns,kind,actor,cause_seq,args_json');
    expect(lines.length).toBe(dma.events + 1);
    await expect(svc.exportTo(id(dma.trace), 'pdf', csv)).rejects.toThrow(/valid formats: chrome-json, csv/);
  });

  it('query refuses writes and leaves the file untouched', async () => {
    const before = fingerprint(dma.trace);
    expect((await svc.query(id(dma.trace), 'SELECT count(*) FROM events')).rows[0][0]).toBe(dma.events);
    await expect(svc.query(id(dma.trace), 'DELETE FROM events')).rejects.toThrow(UserError);
    await expect(svc.query(id(dma.trace), 'DELETE FROM events')).rejects.toThrow(/refused/);
    expect(fingerprint(dma.trace)).toBe(before);
  });

  it('state answers several times in order; window answers several ranges', async () => {
    const s = [await svc.state(id(dma.trace), parseTimeNs('25ms')), await svc.state(id(dma.trace), parseTimeNs('1ms'))];
    expect(s.map((x) => x.atNs)).toEqual([25_000_000, 1_000_000]);
    expect(s[0].tasks.length).toBeGreaterThan(0);
    expect(s[0].pasids).toBeDefined();
    const w = await Promise.all([parseRange('0:30ms'), parseRange('20ms:20.05ms')].map((g) => svc.window(id(dma.trace), g.fromNs, g.toNs, 600)));
    expect(w).toHaveLength(2);
    // Zoomed out: level-of-detail buckets, 2^level ns wide (raw events would give the pixel's 50 µs).
    expect(Number.isInteger(Math.log2(w[0].bucketNs))).toBe(true);
    expect(w[0].bucketNs).toBeGreaterThanOrEqual(30e6 / 600);
  });

  it('refuses bad files with one sentence naming them', async () => {
    await expect(svc.summary(id(path.join(home, 'missing.sqlite')))).rejects.toThrow(/missing\.sqlite' does not exist/);
  });
});

