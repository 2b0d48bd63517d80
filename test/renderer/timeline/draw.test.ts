import { describe, expect, it } from 'vitest';
import { RELEASE_COLOR, TASK_STATE_COLOR } from '../../../renderer/src/timeline/colors';
import { drawLanes, drawRuler, GUTTER, instantAt } from '../../../renderer/src/timeline/draw';
import { mergeWindows, updateProfiles, type LaneProfile } from '../../../renderer/src/timeline/frame';
import { layoutLanes } from '../../../renderer/src/timeline/lanes';
import { fitView } from '../../../renderer/src/timeline/viewport';
import { createFakeLab, STORY_RUNS } from '../fakeLab';

/** A 2D context that records what is drawn: text with its colour, rectangles with their fill. */
function recorder() {
  const texts: { text: string; color: string; x: number; y: number }[] = [];
  const rects: { color: string; x: number; y: number; w: number; h: number }[] = [];
  const state = { fillStyle: '#000', strokeStyle: '#000', font: '', textBaseline: '', lineWidth: 1, globalAlpha: 1 };
  const ctx = new Proxy(state as Record<string, unknown>, {
    get(target, key: string) {
      if (key in target) return target[key];
      if (key === 'measureText') return (t: string) => ({ width: t.length * 6 });
      if (key === 'fillText') return (t: string, x: number, y: number) => texts.push({ text: t, color: String(target.fillStyle), x, y });
      if (key === 'fillRect') return (x: number, y: number, w: number, h: number) => rects.push({ color: String(target.fillStyle), x, y, w, h });
      return () => undefined;
    },
    set(target, key: string, v) {
      target[key] = v;
      return true;
    },
  }) as unknown as CanvasRenderingContext2D;
  return { ctx, texts, rects };
}

describe('drawing the OOM story (mm_exit)', () => {
  it('draws the long release() on the victim, its D state, and both OOM kills', async () => {
    const lab = createFakeLab({ runs: STORY_RUNS });
    const run = lab.runs.find((r) => r.item.model === 'mm_exit');
    if (!run) throw new Error('no mm_exit run');
    const width = 1400;
    const view = fitView(run.info.startNs, run.info.endNs);
    const w = await lab.window(run.item.id, view.fromNs, view.toNs, width - GUTTER);
    const frame = mergeWindows([w]);
    const profiles = new Map<number, LaneProfile>();
    updateProfiles(profiles, frame);
    const { lanes, height } = layoutLanes(run.info.tracks, profiles);
    const kills = frame.get(lanes[0].track.id)?.instants.filter((e) => e.kind === 'oom_kill') ?? [];
    expect(kills).toHaveLength(2);
    const labels = new Map(kills.map((k, i) => [k.seq, `OOM kill #${i + 1}`]));
    const { ctx, texts, rects } = recorder();
    drawLanes(ctx, width, height, { lanes, frame, view, endNs: run.info.endNs, cursorNs: null, selectedSeq: null, labels, visibleTop: 0, visibleBottom: height, width });

    // The lanes read top-down: the OOM killer and reaper, then the victim, then the innocent one.
    expect(lanes.slice(0, 3).map((l) => l.track.name)).toEqual(['oom killer', 'oom_reaper', 'accel-app:2']);
    expect(lanes[3].track.name).toMatch(/^worker\d:\d+$/);
    const victim = lanes[2];
    const inVictim = (y: number) => y >= victim.y && y < victim.y + victim.h;
    const release = texts.find((t) => t.text.startsWith('release()'));
    expect(release?.text).toBe('release()  60 s');
    expect(inVictim(release?.y ?? -1)).toBe(true);
    // The release() bar is wide (a 60 s call on a 62.7 s view) and in its strong colour.
    const bar = rects.filter((r) => r.color === RELEASE_COLOR && inVictim(r.y)).sort((a, b) => b.w - a.w)[0];
    expect(bar.w).toBeGreaterThan((width - GUTTER) * 0.9);
    const d = texts.find((t) => t.text.startsWith('D · waits on'));
    expect(d?.text).toBe('D · waits on completion accel0 q0 stopped');
    expect(inVictim(d?.y ?? -1)).toBe(true);
    expect(rects.some((r) => r.color === TASK_STATE_COLOR.D && inVictim(r.y) && r.w > 500)).toBe(true);
    // The two kills a few pixels apart each keep their own label: the first turns to the left of its marker, never one merged text.
    const k1 = texts.find((t) => t.text === 'OOM kill #1');
    const k2 = texts.find((t) => t.text === 'OOM kill #2');
    expect(k1 && k2).toBeTruthy();
    expect((k1?.x ?? 0) + 'OOM kill #1'.length * 6).toBeLessThan(k2?.x ?? 0);
    expect(texts.some((t) => t.text.includes('·  OOM kill'))).toBe(false);
    // A click finds the nearest marker (the two kills are a few pixels apart at this zoom).
    const xOfKill = (t: number) => GUTTER + ((t - view.fromNs) / (view.toNs - view.fromNs)) * (width - GUTTER);
    expect(instantAt(frame.get(lanes[0].track.id), xOfKill(kills[0].t), view, width)?.seq).toBe(kills[0].seq);
    expect(instantAt(frame.get(lanes[0].track.id), xOfKill(kills[1].t), view, width)?.seq).toBe(kills[1].seq);
    expect(instantAt(frame.get(lanes[0].track.id), xOfKill(kills[1].t) + 200, view, width)).toBeNull();
  });

  it('labels the ruler in seconds for the whole run and shows the cursor time', () => {
    const { ctx, texts } = recorder();
    drawRuler(ctx, 1400, fitView(0, 60e9), 285_632_000, 285_632_000);
    const ticks = texts.map((t) => t.text);
    expect(ticks).toContain('10 s');
    expect(ticks).toContain('50 s');
    expect(ticks).toContain('285.632 ms');
  });
});
