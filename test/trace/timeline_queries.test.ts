import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunId, RunInfo } from '../../main/contract';
import { callLab } from '../../main/lab/args';
import { createLab, type Lab } from '../../main/lab/lab';
import { TraceReader } from '../../main/trace/reader';
import { TIMELINE_INDEX_NAME, TIMELINE_KINDS, TIMELINE_WHERE } from '../../main/trace/schema';
import { kindsOfWhere } from '../../main/trace/timeline_queries';
import { KIND } from '../../main/sim/events';
import { fmtNs } from '../../main/sim/time';

let home: string;
let lab: Lab;
let victim: RunId;
let stress: RunId;
let info: RunInfo;

beforeAll(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'sva-lab-tlq-'));
  lab = createLab(home);
  victim = path.basename((await lab.record({ scenario: 'oom-bound-victim', params: { mmExit: true }, seed: 1 })).trace);
  stress = path.basename((await lab.record({ scenario: 'stress', params: { events: 60000 }, seed: 3 })).trace);
  info = await lab.openRun(victim);
}, 120_000);

afterAll(async () => {
  await lab.close();
  fs.rmSync(home, { recursive: true, force: true });
});

describe('openRun carries what the timeline needs at once', () => {
  it('the alarm index: both OOM kills numbered, in the kernel words, by time', () => {
    const kills = info.alarms.filter((a) => a.kind === 'oom_kill');
    expect(kills.map((k) => k.text)).toEqual(['OOM kill #1: accel-app (pid 1)', expect.stringMatching(/^OOM kill #2: worker\d \(pid \d+\)$/)]);
    // release() is labelled with how long it took (mm_exit: as long as the driver's DMA stop).
    const rel = info.alarms.find((a) => a.kind === 'release_begin');
    expect(rel?.text).toBe(`release() ${fmtNs(info.summary.metrics.releaseLatencyNs.max)}`);
    expect(info.alarms.map((a) => a.tNs)).toEqual([...info.alarms.map((a) => a.tNs)].sort((a, b) => a - b));
    // The index read through the partial index the writer built.
    const r = new TraceReader(lab.fileOf(victim));
    try {
      expect(r.query(`SELECT name FROM sqlite_master WHERE name = '${TIMELINE_INDEX_NAME}'`).rows).toHaveLength(1);
      expect(JSON.stringify(r.query(`EXPLAIN QUERY PLAN SELECT seq FROM events WHERE (${String(r.query(`SELECT sql FROM sqlite_master WHERE name = '${TIMELINE_INDEX_NAME}'`).rows[0][0]).split(' WHERE ')[1]}) AND kind = 44`).rows)).toContain(TIMELINE_INDEX_NAME);
    } finally {
      r.close();
    }
  });

  it('groups every lane exactly once: the victim process holds its task, mm, mmap_lock, PASID entry, bond and device queue', () => {
    const all = info.groups.flatMap((g) => g.tracks);
    expect(new Set(all).size).toBe(all.length);
    expect([...all].sort((a, b) => a - b)).toEqual(info.tracks.map((t) => t.id).sort((a, b) => a - b));
    const app = info.groups.find((g) => g.kind === 'process' && g.name.startsWith('accel-app'));
    const names = (app?.tracks ?? []).map((id) => info.tracks.find((t) => t.id === id)?.name).sort();
    expect(names).toEqual(['accel-app:2', 'bond accel0 q0 pasid 1', 'dma accel0 q0', 'mm accel-app:1', 'pasid 1 accel0', 'rwsem mmap_lock accel-app:1']);
    const oom = info.groups.find((g) => g.id === 'sys:oom');
    expect(oom?.tracks.map((id) => info.tracks.find((t) => t.id === id)?.name)).toEqual(expect.arrayContaining(['oom killer', 'oom_reaper', 'mutex oom_lock']));
    expect(info.groups.filter((g) => g.kind === 'process')).toHaveLength(8); // accel-app, six workers, db-service
  });

  it('the density sums to the run\'s events over buckets covering it', () => {
    expect(info.density.counts.reduce((a, b) => a + b, 0)).toBe(info.summary.events);
    expect(info.density.counts.length * info.density.bucketNs).toBeGreaterThanOrEqual(info.endNs);
    expect(info.density.counts.length).toBeLessThanOrEqual(1025);
  });

  it('a stress run: each process group has its own mm, and PASID reuse does not pull a later process into an earlier one', async () => {
    const s = await lab.openRun(stress);
    const procs = s.groups.filter((g) => g.kind === 'process');
    expect(procs.length).toBeGreaterThan(10);
    for (const g of procs) {
      const mms = g.tracks.filter((id) => s.tracks.find((t) => t.id === id)?.type === 'mm');
      expect(mms).toHaveLength(1);
      const label = s.tracks.find((t) => t.id === mms[0])?.name.replace(/^mm /, '');
      const tasks = g.tracks.map((id) => s.tracks.find((t) => t.id === id)).filter((t) => t?.type === 'task');
      // The process's tasks share its comm (p3:7's tasks are p3:…).
      for (const t of tasks) expect(t?.name.split(':')[0]).toBe(label?.split(':')[0]);
    }
    expect(s.density.counts.reduce((a, b) => a + b, 0)).toBe(s.summary.events);
  });
});

describe('searchEvents', () => {
  it('steps through every event whose kind, actor or args match, forwards and back, and says null past the end', async () => {
    const hits: number[] = [];
    for (let from = 0; ; ) {
      const h = await lab.searchEvents(victim, 'OOM_KILL', from, 1);
      if (!h) break;
      // Each hit mentions it: its kind, or an argument (oom_kill_process sends the SIGKILL).
      expect(h.kind === 'oom_kill' || JSON.stringify(h.args).includes('oom_kill')).toBe(true);
      hits.push(h.seq);
      from = h.seq;
    }
    const kills = info.alarms.filter((a) => a.kind === 'oom_kill').map((a) => a.seq);
    expect(hits).toEqual(expect.arrayContaining(kills));
    expect(hits).toEqual([...hits].sort((a, b) => a - b));
    const back = await lab.searchEvents(victim, 'oom_kill', hits[hits.length - 1], -1);
    expect(back?.seq).toBe(hits[hits.length - 2]);
    expect(await lab.searchEvents(victim, 'oom_kill', hits[0], -1)).toBeNull();
    const byActor = await lab.searchEvents(victim, 'db-service', 0, 1);
    expect(byActor?.actor).toContain('db-service');
    // By an argument: the victim's mm is put by mmput_async in the mm_exit design.
    const byArg = await lab.searchEvents(victim, 'mmput_async', 0, 1);
    expect(JSON.stringify(byArg?.args)).toContain('mmput_async');
    // LIKE wildcards are text, not patterns.
    expect(await lab.searchEvents(victim, '%_%', 0, 1)).toBeNull();
  });

  it('refuses an empty query with one sentence (over the transports)', async () => {
    await expect(callLab(lab, 'searchEvents', [victim, '', 0, 1])).rejects.toThrow(/Invalid arguments to searchEvents.*a search needs some text/);
    await expect(callLab(lab, 'aggregateArea', [victim, 0, 10, 'x'])).rejects.toThrow(/Invalid arguments to aggregateArea/);
  });
});

describe('aggregateArea', () => {
  it('counts events per kind and adds up span time per lane within the range', async () => {
    const app = info.tracks.find((t) => t.name === 'accel-app:2');
    if (!app) throw new Error('no victim lane');
    const whole = await lab.aggregateArea(victim, 0, info.endNs, [app.id]);
    expect(whole.events).toBe(whole.kinds.reduce((a, k) => a + k.count, 0));
    expect(whole.lanes[0].events).toBe(whole.events);
    expect(whole.kinds.find((k) => k.kind === 'release_begin')?.count).toBe(1);
    // mm_exit: release() waits for the DMA stop; the victim's longest span is at least that long.
    expect(whole.lanes[0].maxNs).toBeGreaterThanOrEqual(info.summary.metrics.releaseLatencyNs.max ?? Infinity);
    const half = await lab.aggregateArea(victim, 0, Math.floor(info.endNs / 2), [app.id]);
    expect(half.events).toBeLessThanOrEqual(whole.events);
    expect(half.lanes[0].maxNs).toBeLessThanOrEqual(Math.floor(info.endNs / 2));
    expect((await lab.aggregateArea(victim, 0, info.endNs, [])).events).toBe(0);
  });
});

describe('the timeline index predicate', () => {
  it('lists its kinds in both the OR form new traces carry and the IN form of older ones', () => {
    expect([...kindsOfWhere(TIMELINE_WHERE)].sort((a, b) => a - b)).toEqual(TIMELINE_KINDS.map((k) => KIND[k]).sort((a, b) => a - b));
    expect(TIMELINE_WHERE).not.toMatch(/\bIN\b/);
    expect([...kindsOfWhere('kind IN (5, 9,12)')]).toEqual([5, 9, 12]);
    expect([...kindsOfWhere('kind = 5 OR kind=9')]).toEqual([5, 9]);
    // Anything else lists nothing (every kind then read by a scan, never a wrong answer).
    expect(kindsOfWhere('kind = 5 OR actor = 9').size).toBe(0);
    expect(kindsOfWhere('kind > 5').size).toBe(0);
  });
});
