import path from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { TraceReader } from '../../main/trace/reader';
import { WINDOW_RAW_MAX } from '../../main/trace/window_fold';
import { LANE_SQL } from '../../main/trace/window_read';
import { createFakeLab } from '../renderer/fakeLab';
import { altered, recordInline, tempDir } from './helpers';

/** The OOM story under mm_exit: two OOM kills 67 ms apart, a victim in D for 60 s inside release(). */
const STORY = { scenario: 'oom-bound-victim', params: { mmExit: true, dmaStopMs: 60000 }, seed: 1 };
const file = path.join(tempDir(), 'story.sqlite');

beforeAll(() => {
  recordInline(file, STORY.scenario, STORY.params, STORY.seed);
});

describe('window (the WindowDto the timeline draws)', () => {
  it('names the OOM kills at every zoom: a marker kind keeps its own level-of-detail lane', () => {
    const r = new TraceReader(file);
    const end = r.meta().endTimeNs;
    const killer = r.actors().find((a) => a.name === 'oom killer');
    expect(killer).toBeDefined();
    const seqs = r.query("SELECT seq FROM event_log WHERE kind = 'oom_kill' ORDER BY seq").rows.map((x) => x[0]);
    expect(seqs).toHaveLength(2);
    for (const width of [300, 1200]) {
      const raw = r.windowData(0, end, width);
      expect(raw.level, 'zoomed out: level-of-detail buckets').not.toBeNull();
      const w = r.window(0, end, width);
      const kills = w.tracks.find((t) => t.id === killer!.id)?.instants.filter((e) => e.kind === 'oom_kill') ?? [];
      expect(kills.reduce((n, k) => n + k.count, 0), `width ${width}`).toBe(2);
      expect(kills[0].seq).toBe(seqs[0]);
    }
    r.close();
  });

  it("shows a blocked task's state and what it waits on, read apart from its span", () => {
    const r = new TraceReader(file);
    const victim = r.actors().find((a) => a.name === 'accel-app:2');
    const states = r.window(0, r.meta().endTimeNs, 1200).tracks.find((t) => t.id === victim!.id)?.states ?? [];
    expect(states.some((s) => s.state === 'D' && s.label === 'completion accel0 q0 stopped' && (s.t1 ?? Infinity) - s.t0 > 50e9)).toBe(true);
    const spans = r.windowData(0, r.meta().endTimeNs, 1200).tracks.flatMap((t) => t.spans);
    for (const s of spans) expect(s.state === null).toBe(s.cat !== 'blocked');
    r.close();
  });

  it("is what the renderer's test fake answers for the same run, zoomed in (raw events)", async () => {
    const r = new TraceReader(file);
    const lab = createFakeLab({ runs: [STORY] });
    const id = lab.runs[0].item.id;
    const kill = r.findEvent(r.query("SELECT id FROM kinds WHERE name = 'oom_kill'").rows[0][0] as number, 1);
    const t = kill!.tNs;
    let compared = 0;
    for (const [from, to, width] of [[t - 5e6, t + 5e6, 800], [t - 1e8, t + 2e8, 1200], [0, 2e6, 400]]) {
      if (r.seqAtOrBefore(to) - r.seqAtOrBefore(from - 1) > WINDOW_RAW_MAX) continue;
      const real = r.window(from, to, width);
      const fake = await lab.window(id, from, to, width);
      const order = (w: typeof real) => ({ ...w, tracks: w.tracks.map((x) => ({ ...x, spans: [...x.spans].sort((p, q) => p.t0 - q.t0 || p.depth - q.depth || p.name.localeCompare(q.name)) })) });
      expect(order(fake)).toEqual(order(real));
      compared++;
    }
    expect(compared).toBeGreaterThanOrEqual(2);
    r.close();
  });
});

describe('window of some lanes (the visible ones)', () => {
  const many = path.join(tempDir(), 'many.sqlite');
  beforeAll(() => {
    // Processes come and go: far more lanes over the run than are alive at once.
    recordInline(many, 'stress', { events: 120_000, processes: 8, meanLifeMs: 4 }, 3);
  });

  it('seeks each lane asked for in the lane indexes instead of filtering every lane of the range', () => {
    const db = new Database(many, { readonly: true });
    const plan = (sql: string, p: unknown[]) => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...p) as { detail: string }[]).map((r) => r.detail).join('\n');
    expect(plan(LANE_SQL.spans, [20, 0, 1e9, 0, '[1,2]'])).toMatch(/USING (COVERING )?INDEX spans_by_lane \(lvl=\? AND actor=\? AND t0>\? AND t0<\?\)/);
    expect(plan(LANE_SQL.lod, [20, 0, 3, '[1,2]'])).toMatch(/USING INDEX lod_by_lane \(level=\? AND actor=\? AND chunk>\? AND chunk<\?\)/);
    db.close();
  });

  it('answers the same from a trace without the lane indexes (recorded before them), at every zoom', () => {
    const old = altered(many, tempDir(), 'old.sqlite', (db) => db.exec('DROP INDEX spans_by_lane; DROP INDEX lod_by_lane;'));
    const [a, b] = [new TraceReader(many), new TraceReader(old)];
    const end = a.meta().endTimeNs;
    const lanes = a.actors().filter((x, i) => i % 5 === 0).map((x) => x.id);
    expect(lanes.length).toBeGreaterThan(20);
    for (const z of [0, 1, 3, 6, 9, 12]) {
      const span = Math.max(1200, Math.floor(end / 2 ** z));
      const from = Math.floor((end - span) / 2);
      const wa = a.window(from, from + span, 1200, lanes);
      expect(wa.tracks.length, `zoom 1/2^${z}`).toBeGreaterThan(0);
      expect(wa, `zoom 1/2^${z}`).toEqual(b.window(from, from + span, 1200, lanes));
    }
    a.close();
    b.close();
  });
});
