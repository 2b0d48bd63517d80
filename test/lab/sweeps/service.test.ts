import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLab } from '../../../main/lab/lab';
import { SweepService, type SweepProgress } from '../../../main/lab/sweeps/service';
import { TraceReader } from '../../../main/trace/reader';
import { tempDir } from '../../trace/helpers';

/** The sweeps of a lab over `home`, recording through that lab (as createLab wires them). */
function sweepsOf(home: string) {
  const lab = createLab(home);
  return { lab, svc: new SweepService(home, (req, opts) => lab.record(req, opts)) };
}

describe('SweepService', () => {
  it('records every run in the archive, writes the manifest as runs finish, and aggregates what was recorded', async () => {
    const home = tempDir('sva-sweep-');
    const { lab, svc } = sweepsOf(home);
    const seen: SweepProgress[] = [];
    const manifests: string[] = [];
    const h = svc.start(
      { scenario: 'oom-bound-victim', vary: [{ key: 'dmaStopMs', values: [20, 400] }, { key: 'mmExit', values: [true, false] }], metrics: ['innocentVictims', 'memoryFreedNs'] },
      {
        jobs: 2,
        onProgress: (p) => {
          seen.push(p);
          manifests.push(fs.readFileSync(path.join(home, 'sweeps', `${h.id}.json`), 'utf8'));
        },
      },
    );
    expect(h.total).toBe(4);
    expect((await svc.list()).map((s) => [s.id, s.status])).toEqual([[h.id, 'running']]);
    const r = await h.done;
    expect(r.status).toBe('complete');
    expect(r.done).toBe(4);
    expect(seen.map((p) => p.done)).toEqual([1, 2, 3, 4]);
    expect(seen.every((p) => p.sweepId === h.id && p.total === 4 && p.lastRun.status === 'complete')).toBe(true);
    // The manifest on disk tracked the runs as they finished.
    expect(manifests.map((m) => (JSON.parse(m) as { done: number }).done)).toEqual([1, 2, 3, 4]);
    for (const p of r.points) {
      const [x] = p.runs;
      expect(x.run).toMatch(new RegExp(`^${h.id}-p\\d-${p.values.mmExit ? 'mm_exit' : 'quiet'}-s1\\.sqlite$`));
      const tr = new TraceReader(path.join(home, x.run as string));
      const meta = tr.meta();
      tr.close();
      expect(meta.status).toBe('complete');
      expect(meta.params).toMatchObject(p.values);
      expect(x.metrics?.innocentVictims).toBe(meta.metrics?.innocentVictims);
      expect(x.metrics?.memoryFreedNs).toBe(meta.metrics?.memoryFreedNs);
    }
    const byKey = Object.fromEntries(r.table.map((p) => [`${p.values.dmaStopMs}/${p.values.mmExit}`, p.stats.innocentVictims.mean]));
    expect(byKey).toEqual({ '20/true': 0, '20/false': 0, '400/true': 1, '400/false': 0 });
    expect(await svc.get(h.id)).toEqual(r);
    expect((await svc.list())[0]).toMatchObject({ id: h.id, status: 'complete', total: 4, done: 4, scenario: 'oom-bound-victim', preset: null });
    const csv = (await svc.csv(h.id)).trim().split('\n');
    expect(csv[0]).toBe('dmaStopMs,mmExit,runs,complete,innocentVictims.mean,innocentVictims.min,innocentVictims.max,memoryFreedNs.mean,memoryFreedNs.min,memoryFreedNs.max');
    expect(csv.slice(1).map((l) => l.split(',').slice(0, 5).join(','))).toEqual(['20,true,1,1,0', '20,false,1,1,0', '400,true,1,1,1', '400,false,1,1,0']);
    // Every run is an ordinary run of the archive too.
    expect((await lab.listRuns()).length).toBe(4);
    // Each is listed as a run of that sweep (the archive groups them by it).
    expect((await lab.listRuns()).map((r) => r.sweep)).toEqual([h.id, h.id, h.id, h.id]);
  });

  it('cancelled: finished runs are kept, the running one is marked cancelled, pending ones never start', async () => {
    const home = tempDir('sva-sweep-');
    const { svc } = sweepsOf(home);
    const ac = new AbortController();
    const h = svc.start(
      { scenario: 'iopf-last-mmput', vary: [{ key: 'iopfPut', values: ['mmput', 'mmput_async'] }, { key: 'mmExit', values: [true, false] }] },
      {
        jobs: 1,
        signal: ac.signal,
        // After the first run finishes, abort while the second is recording (it boots in ~0.3 s and records for ~1 s).
        onProgress: (p) => {
          if (p.done === 1) setTimeout(() => ac.abort(), 400);
        },
      },
    );
    const r = await h.done;
    expect(r.status).toBe('cancelled');
    const runs = r.points.map((p) => p.runs[0]);
    expect(runs.map((x) => x.status)).toEqual(['complete', 'cancelled', 'pending', 'pending']);
    expect(r.done).toBe(2);
    for (const x of runs.slice(0, 2)) {
      const tr = new TraceReader(path.join(home, x.run as string));
      expect(tr.meta().status).toBe(x.status);
      tr.close();
    }
    expect(runs.slice(2).every((x) => x.run === null && x.metrics === null)).toBe(true);
    expect(fs.readdirSync(home).filter((f) => f.endsWith('.sqlite'))).toHaveLength(2);
    // The table aggregates only the complete run.
    expect(r.table.map((p) => p.complete)).toEqual([1, 0, 0, 0]);
    expect(r.table[0].stats.lockups.mean).toBe(1);
    expect((await svc.get(h.id)).status).toBe('cancelled');
  });

  it('refuses a bad definition before writing anything; a manifest left running by a dead process reads as interrupted', async () => {
    const home = tempDir('sva-sweep-');
    const { svc } = sweepsOf(home);
    expect(() => svc.start({ scenario: 'nope', vary: [{ key: 'a', values: [1] }] })).toThrow(/Unknown scenario 'nope'/);
    expect(() => svc.start({ scenario: 'oom-bound-victim', vary: [{ key: 'mmExit', values: [true] }] }, { jobs: 0 })).toThrow(/--jobs/);
    expect(fs.existsSync(path.join(home, 'sweeps'))).toBe(false);
    await expect(svc.get('nope')).rejects.toThrow(/There is no sweep 'nope'/);
    await expect(svc.get('../../etc/passwd')).rejects.toThrow(/is not a sweep id/);
    fs.mkdirSync(path.join(home, 'sweeps'));
    const dead = { format: 1, id: 'x', definition: { scenario: 'oom-bound-victim', vary: [], set: {}, seeds: 1, metrics: ['oomVictims'], preset: null }, created: '', finished: null, status: 'running', total: 1, done: 0, appVersion: '', modelVersion: 0, points: [], runner: { pid: 2 ** 22 + 12345, host: (await import('node:os')).hostname() } };
    fs.writeFileSync(path.join(home, 'sweeps', 'x.json'), JSON.stringify(dead));
    fs.writeFileSync(path.join(home, 'sweeps', 'y.json'), '{ not json');
    expect((await svc.get('x')).status).toBe('interrupted');
    const list = await svc.list();
    expect(list.map((s) => [s.id, s.status])).toEqual([
      ['y', 'interrupted'],
      ['x', 'interrupted'],
    ]);
    expect(list[0].problem).toMatch(/not valid JSON/);
  });
});
