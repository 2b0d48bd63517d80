import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { TraceReader } from '../../main/trace/reader';
import { WINDOW_RAW_MAX } from '../../main/trace/window_fold';
import { createFakeLab } from '../renderer/fakeLab';
import { recordInline, tempDir } from './helpers';

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
