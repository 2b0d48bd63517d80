import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabApi, LabEvent, RunId } from '../../main/contract';
import { ARG_SCHEMAS } from '../../main/lab/args';
import { createLab } from '../../main/lab/lab';

let home: string;
let api: LabApi;
const events: LabEvent[] = [];

function finished(runId: RunId): Promise<LabEvent> {
  return new Promise((resolve) => {
    const done = events.find((e) => e.type === 'run-finished' && e.runId === runId);
    if (done) return resolve(done);
    const off = api.onEvent((e) => {
      if (e.type === 'run-finished' && e.runId === runId) {
        off();
        resolve(e);
      }
    });
  });
}

beforeAll(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'sva-lab-api-'));
  api = createLab(home);
  api.onEvent((e) => events.push(e));
});

afterAll(() => {
  fs.rmSync(home, { recursive: true, force: true });
});

describe('LabApi over the service', () => {
  let mmExit: RunId;
  let quiet: RunId;

  it('runs a pair (mm_exit and quiet) in workers, with progress and completion events', async () => {
    const pair = await api.startPair({ scenario: 'oom-bound-victim', params: { dmaStopMs: 3000 }, seed: 5 });
    mmExit = pair.mmExit;
    quiet = pair.quiet;
    expect(mmExit).toMatch(/oom-bound-victim-mm_exit-s5.*\.sqlite$/);
    expect(quiet).toMatch(/oom-bound-victim-quiet-s5.*\.sqlite$/);
    const [fa, fb] = await Promise.all([finished(mmExit), finished(quiet)]);
    expect(fa).toMatchObject({ status: 'complete' });
    expect(fb).toMatchObject({ status: 'complete' });
    expect(events.some((e) => e.type === 'run-progress' && e.runId === mmExit)).toBe(true);
    const list = await api.listRuns();
    expect(list.map((r) => r.id).sort()).toEqual([mmExit, quiet].sort());
  });

  it('opens a run with its summary and lanes, and draws release() as a span on the victim task', async () => {
    const info = await api.openRun(mmExit);
    expect(info.summary.model).toBe('mm_exit');
    expect(info.summary.metrics.innocentVictims).toBeGreaterThanOrEqual(1);
    expect(info.tracks.some((t) => t.type === 'task' && t.name.startsWith('accel-app'))).toBe(true);
    const w = await api.window(mmExit, 0, info.endNs, 1200);
    const victim = info.tracks.find((t) => t.name.startsWith('accel-app'))!;
    const tw = w.tracks.find((t) => t.id === victim.id)!;
    const rel = tw.spans.find((s) => s.name === 'release()')!;
    expect(rel.t1! - rel.t0).toBeGreaterThanOrEqual(3000e6);
    expect(tw.states.some((s) => s.state === 'D' && (s.label ?? '').includes('stopped'))).toBe(true);
    for (const t of w.tracks) expect(t.instants.length + t.spans.length + t.states.length).toBeLessThanOrEqual(2 * 1200 * 3);
    // Zoomed out (level-of-detail buckets), an mm lane keeps its counters apart.
    const mm = info.tracks.find((t) => t.type === 'mm' && t.name.startsWith('mm accel-app'))!;
    const names = w.tracks.find((t) => t.id === mm.id)!.counters.map((c) => c.name).sort();
    expect(names).toEqual(expect.arrayContaining(['mm_count', 'mm_users', 'resident pages']));
    const users = w.tracks.find((t) => t.id === mm.id)!.counters.find((c) => c.name === 'mm_users')!;
    expect(Math.max(...users.points.map((p) => p.max))).toBeLessThanOrEqual(4);
  });

  it('limits a window to the lanes asked for (tracks), zoomed out and zoomed in alike', async () => {
    const info = await api.openRun(mmExit);
    const all = await api.window(mmExit, 0, info.endNs, 1200);
    const victim = info.tracks.find((t) => t.name.startsWith('accel-app'))!;
    const mm = info.tracks.find((t) => t.type === 'mm' && t.name.startsWith('mm accel-app'))!;
    const some = await api.window(mmExit, 0, info.endNs, 1200, [victim.id, mm.id]);
    expect(some.tracks.map((t) => t.id).sort((a, b) => a - b)).toEqual([victim.id, mm.id].sort((a, b) => a - b));
    // Each lane asked for is what the full window has for it.
    for (const t of some.tracks) expect(t).toEqual(all.tracks.find((x) => x.id === t.id));
    expect((await api.window(mmExit, 0, info.endNs, 1200, [])).tracks).toEqual([]);
    // Zoomed in around release(): raw events, still only the lanes asked for.
    const rel = all.tracks.find((t) => t.id === victim.id)!.spans.find((s) => s.name === 'release()')!;
    const near = await api.window(mmExit, rel.t0, rel.t0 + 1000, 800, [victim.id]);
    expect(near.tracks.every((t) => t.id === victim.id)).toBe(true);
    // The IPC/HTTP schema takes the 4- and the 5-argument form, and bounds the list.
    const schema = ARG_SCHEMAS.window;
    expect(schema.safeParse([mmExit, 0, 10, 100]).success).toBe(true);
    expect(schema.safeParse([mmExit, 0, 10, 100, [1, 2]]).success).toBe(true);
    expect(schema.safeParse([mmExit, 0, 10, 100, [-1]]).success).toBe(false);
    expect(schema.safeParse([mmExit, 0, 10, 100, ['1']]).success).toBe(false);
    expect(schema.safeParse([mmExit, 0, 10, 100, Array.from({ length: 10_001 }, (_, i) => i)]).success).toBe(false);
  });

  it('serves the state at a time, the events around it, stepping and the cause chain', async () => {
    const info = await api.openRun(mmExit);
    const kill = await api.findEvent(mmExit, 'oom_kill', 0);
    expect(kill).not.toBeNull();
    const st = await api.state(mmExit, kill!.tNs + 1_000_000);
    const victimTask = st.tasks.find((t) => t.name.startsWith('accel-app'));
    expect(victimTask?.state).toBe('D');
    // On an event: the state right after it (the victim is killed, not yet exiting).
    const atKill = await api.state(mmExit, kill!.tNs, kill!.seq);
    expect(atKill.seq).toBe(kill!.seq);
    expect(atKill.oom.victims).toHaveLength(1);
    const before = await api.state(mmExit, kill!.tNs, kill!.seq - 1);
    expect(before.oom.victims).toHaveLength(0);
    const around = await api.events(mmExit, { aroundSeq: kill!.seq, before: 3, after: 3 });
    expect(around.map((e) => e.seq)).toEqual([kill!.seq - 3, kill!.seq - 2, kill!.seq - 1, kill!.seq, kill!.seq + 1, kill!.seq + 2, kill!.seq + 3]);
    expect(around[3].text).toMatch(/^OOM kill accel-app/);
    expect((await api.stepEvent(mmExit, kill!.seq, 1))?.seq).toBe(kill!.seq + 1);
    expect(await api.stepEvent(mmExit, 1, -1)).toBeNull();
    expect(await api.stepEvent(mmExit, info.summary.events, 1)).toBeNull();
    const chain = await api.causeChain(mmExit, kill!.seq);
    expect(chain[0].seq).toBe(kill!.seq);
    for (let i = 1; i < chain.length; i++) expect(chain[i].seq).toBe(chain[i - 1].causeSeq);
  });

  it('compares the two designs: release() latency first, innocent victims, and a first divergence', async () => {
    const c = await api.compareRuns(mmExit, quiet);
    expect(c.metrics[0].name).toBe('releaseLatencyNs.max');
    expect(c.metrics[0].direction).toBe('down');
    const inn = c.metrics.find((m) => m.name === 'innocentVictims')!;
    expect(inn.a).toBeGreaterThanOrEqual(1);
    expect(inn.b).toBe(0);
    expect(c.firstDivergence).not.toBeNull();
    expect(c.firstDivergence!.explanation.length).toBeGreaterThan(10);
    const same = await api.compareRuns(mmExit, mmExit);
    expect(same.firstDivergence).toBeNull();
  });

  it('saves annotations inside the trace, lists them and deletes them', async () => {
    const a = await api.addAnnotation(quiet, { tNs: 1000, seq: 3, kind: 'note', text: 'release() returns here' });
    const b = await api.addAnnotation(quiet, { tNs: 500, seq: null, kind: 'bookmark', text: 'start' });
    const list = await api.listAnnotations(quiet);
    expect(list.map((x) => x.text)).toEqual(['start', 'release() returns here']);
    await api.deleteAnnotation(quiet, b.id);
    expect((await api.listAnnotations(quiet)).map((x) => x.id)).toEqual([a.id]);
    await expect(api.deleteAnnotation(quiet, 9999)).rejects.toThrow(/has no annotation 9999/);
    // The file still reads as a trace.
    expect((await api.openRun(quiet)).summary.model).toBe('quiet');
  });

  it('exports Chrome JSON with release() as a complete event, and the SQLite file itself', async () => {
    const j = await api.exportRun(mmExit, 'chrome-json');
    const doc = JSON.parse(Buffer.from(j.bytesBase64, 'base64').toString('utf8')) as { traceEvents: { ph: string; name: string }[] };
    expect(doc.traceEvents.some((e) => e.ph === 'X' && e.name.includes('release'))).toBe(true);
    // Annotations appear as instant events.
    await api.addAnnotation(mmExit, { tNs: 2000, seq: null, kind: 'bookmark', text: 'look here' });
    const j2 = await api.exportRun(mmExit, 'chrome-json');
    const doc2 = JSON.parse(Buffer.from(j2.bytesBase64, 'base64').toString('utf8')) as { traceEvents: { ph: string; name: string; ts: number }[] };
    expect(doc2.traceEvents.find((e) => e.ph === 'i' && e.name === 'bookmark: look here')?.ts).toBe(2);
    const s = await api.exportRun(mmExit, 'sqlite');
    expect(Buffer.from(s.bytesBase64, 'base64').subarray(0, 15).toString()).toBe('SQLite format 3');
  });

  it('verifies a run by re-running it', async () => {
    const v = await api.verifyRun(quiet);
    expect(v.match).toBe(true);
    expect(v.digest).toBe(v.recordedDigest);
  });

  it('refuses bad input with one sentence and leaves files alone', async () => {
    await expect(api.openRun('../etc/passwd.sqlite')).rejects.toThrow(/is not a run in the archive/);
    await expect(api.openRun('nope.sqlite')).rejects.toThrow(/There is no run 'nope.sqlite'/);
    await expect(api.startRun({ scenario: 'oom-bound-victim', params: { dmaStopMs: -5 }, seed: 1 })).rejects.toThrow(/Parameter 'dmaStopMs'/);
    expect(await api.validateRun({ scenario: 'oom-bound-victim', params: { dmaStopMs: -5, mmExit: 'x' }, seed: 1 })).toEqual({
      dmaStopMs: expect.stringMatching(/must be a number from 0 to 600000/),
      mmExit: expect.stringMatching(/must be true or false/),
    });
    await expect(api.importTrace({ name: 'junk.sqlite', bytesBase64: Buffer.from('not a database at all').toString('base64') })).rejects.toThrow(/junk\.sqlite/);
    const before = (await api.listRuns()).length;
    expect(before).toBe(2);
  });

  it('imports a trace given as bytes and deletes a run', async () => {
    const bytes = fs.readFileSync(path.join(home, quiet)).toString('base64');
    const item = await api.importTrace({ name: 'shared-by-a-colleague.sqlite', bytesBase64: bytes });
    expect(item.id).toBe('shared-by-a-colleague.sqlite');
    expect(item.model).toBe('quiet');
    await api.deleteRun(item.id);
    expect((await api.listRuns()).some((r) => r.id === item.id)).toBe(false);
  });

  it('runs a small sweep, reports progress per run and aggregates per grid point', async () => {
    const presets = await api.sweepPresets();
    expect(presets.map((p) => p.name)).toEqual(expect.arrayContaining(['innocent-victims', 'iopf-lockups', 'pasid-held']));
    const { sweepId, total } = await api.startSweep({ scenario: 'oom-bound-victim', vary: [{ key: 'mmExit', values: [true, false] }], set: { dmaStopMs: 2000 }, seeds: 1 });
    expect(total).toBe(2);
    await new Promise<void>((resolve) => {
      if (events.some((e) => e.type === 'sweep-finished' && e.sweepId === sweepId)) return resolve();
      const off = api.onEvent((e) => {
        if (e.type === 'sweep-finished' && e.sweepId === sweepId) {
          off();
          resolve();
        }
      });
    });
    expect(events.filter((e) => e.type === 'sweep-progress' && e.sweepId === sweepId).length).toBeGreaterThanOrEqual(2);
    const sw = await api.getSweep(sweepId);
    expect(sw.status).toBe('complete');
    const byDesign = Object.fromEntries(sw.table.map((r) => [String(r.values.mmExit), r.stats.innocentVictims.mean]));
    expect(byDesign).toEqual({ true: 1, false: 0 });
    expect((await api.listSweeps()).map((x) => x.id)).toContain(sweepId);
    const csv = Buffer.from((await api.sweepCsv(sweepId)).bytesBase64, 'base64').toString('utf8');
    expect(csv.split('\n')[0]).toMatch(/^mmExit,/);
    await expect(api.startSweep({ scenario: 'oom-bound-victim', vary: [{ key: 'dmaStopMs', values: [-1] }] })).rejects.toThrow(/dmaStopMs/);
  });
});
