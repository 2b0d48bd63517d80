// @vitest-environment happy-dom
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { KIND } from '../../../main/sim/events';
import { setLab } from '../../../renderer/src/api/lab';
import { useWhyStore } from '../../../renderer/src/stores/why';
import { createFakeLab, STORY_RUNS, type FakeLab } from '../fakeLab';

let lab: FakeLab;

beforeEach(() => {
  setActivePinia(createPinia());
  lab = createFakeLab({ runs: STORY_RUNS });
  setLab(lab);
});

const run = (model: string) => lab.runs.find((x) => x.item.model === model)!;

describe('why store', () => {
  it('explains per slot, the latest question wins, nothing selected clears it', async () => {
    const w = useWhyStore();
    const r = run('mm_exit');
    const kills = r.events.filter((e) => e.kind === KIND.oom_kill);
    const first = w.explain('run', r.item.id, kills[0].seq);
    const second = w.explain('run', r.item.id, kills[1].seq);
    await Promise.all([first, second]);
    expect(w.slots.run.seq).toBe(kills[1].seq);
    expect(w.slots.run.why?.steps[0].text).toMatch(/^OOM kill #2/);
    expect(w.slots.run.why?.steps.some((s) => s.relation === 'held_by')).toBe(true);
    expect(w.slots.a.why).toBeNull();
    await w.explain('run', r.item.id, null);
    expect(w.slots.run.why).toBeNull();
  });

  it('an event past the end: one sentence, no explanation', async () => {
    const w = useWhyStore();
    const r = run('mm_exit');
    await w.explain('run', r.item.id, 10_000_000);
    expect(w.slots.run.why).toBeNull();
    expect(w.slots.run.error).toMatch(/^Event 10000000 could not be explained: Run '.*' has no event 10000000; its events are numbered 1 to \d+\.$/);
  });

  it('the matching event of the other run: the same kind and occurrence, or none (the quiet design has no second kill)', async () => {
    const w = useWhyStore();
    const a = run('mm_exit');
    const b = run('quiet');
    const killsA = a.events.filter((e) => e.kind === KIND.oom_kill);
    const killsB = b.events.filter((e) => e.kind === KIND.oom_kill);
    expect(killsA).toHaveLength(2);
    expect(killsB).toHaveLength(1);
    expect(await w.counterpart(a.item.id, killsA[0].seq, b.item.id)).toEqual({ seq: killsB[0].seq, label: 'oom_kill #1' });
    expect(await w.counterpart(a.item.id, killsA[1].seq, b.item.id)).toEqual({ seq: null, label: 'oom_kill #2' });
    expect(await w.counterpart(b.item.id, killsB[0].seq, a.item.id)).toEqual({ seq: killsA[0].seq, label: 'oom_kill #1' });
  });
});

describe('selecting a span or state bar explains the event that began it', () => {
  it('the D-state bar of the exiting task: its task_state event is selected and explained down to the DMA stop', async () => {
    const { useRunViewStore } = await import('../../../renderer/src/stores/runView');
    const v = useRunViewStore();
    const r = run('mm_exit');
    await v.open(r.item.id);
    // The long D state of accel-app in release(): the block that waits for the DMA stop.
    const actor = [...r.names].find(([, n]) => n.startsWith('accel-app:'))![0];
    const blocks = r.events.filter((e) => e.kind === KIND.task_state && e.actor === actor && e.a === 2);
    const block = blocks.find((e) => String(e.args).includes('stopped'))!;
    expect(block).toBeDefined();
    await v.selectEventAt(actor, block.t, { state: true });
    expect(v.selectedSeq).toBe(block.seq);
    const w = useWhyStore();
    await w.explain('run', r.item.id, v.selectedSeq);
    const steps = w.slots.run.why!.steps;
    expect(steps[0]).toMatchObject({ seq: block.seq, kind: 'task_state' });
    expect(steps[0].text).toMatch(/went to D state .* the driver's mm_exit \(uacce_sva_exit\) waiting for the DMA stop/);
    expect(steps[1]).toMatchObject({ kind: 'dma_state', relation: 'waits_on' });
    // The release() span that starts at the same time selects its release_begin.
    const rel = r.events.find((e) => e.kind === KIND.release_begin && e.actor === actor)!;
    await v.selectEventAt(actor, rel.t, { span: 'release()' });
    expect(v.selectedSeq).toBe(rel.seq);
  });
});
