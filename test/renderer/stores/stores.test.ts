// @vitest-environment happy-dom
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { KIND } from '../../../main/sim/events';
import { setLab } from '../../../renderer/src/api/lab';
import { useArchiveStore } from '../../../renderer/src/stores/archive';
import { useCatalogStore } from '../../../renderer/src/stores/catalog';
import { useRunFormStore } from '../../../renderer/src/stores/runForm';
import { useRunViewStore } from '../../../renderer/src/stores/runView';
import { createFakeLab, STORY_RUNS, type FakeLab } from '../fakeLab';

let lab: FakeLab;
const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

beforeEach(() => {
  setActivePinia(createPinia());
  lab = createFakeLab({ runs: STORY_RUNS, progressSteps: 2, progressEveryMs: 1 });
  setLab(lab);
});

const mmExitRun = () => {
  const r = lab.runs.find((x) => x.item.model === 'mm_exit');
  if (!r) throw new Error('fixture has no mm_exit run');
  return r;
};

describe('catalog store', () => {
  it('loads scenarios and metric definitions once', async () => {
    const c = useCatalogStore();
    await c.load();
    await c.load();
    expect(lab.calls.filter((x) => x.method === 'catalog')).toHaveLength(1);
    expect(c.scenario('oom-bound-victim')?.params.some((p) => p.key === 'mmExit')).toBe(true);
    expect(c.metricDocs.releaseLatencyNs).toMatch(/release\(\)/);
  });

  it('says what failed when the catalog cannot be had', async () => {
    lab.failNext('catalog', 'The lab service is not running.');
    const c = useCatalogStore();
    await c.load();
    expect(c.error).toBe('The scenario catalog could not be loaded: The lab service is not running.');
  });
});

describe('archive store', () => {
  it('lists runs and filters them by design and text', async () => {
    const a = useArchiveStore();
    await a.refresh();
    expect(a.runs.map((r) => r.model)).toEqual(['mm_exit', 'quiet']); // newest first
    a.filter.model = 'quiet';
    expect(a.filtered.map((r) => r.model)).toEqual(['quiet']);
    a.filter.model = 'all';
    a.filter.text = 'no-such-scenario';
    expect(a.filtered).toEqual([]);
    a.filter.text = 'OOM-BOUND';
    expect(a.filtered).toHaveLength(2);
  });

  it('deletes only after confirmation', async () => {
    const a = useArchiveStore();
    await a.refresh();
    const id = a.runs[0].id;
    a.requestDelete(id);
    a.cancelDelete();
    expect(lab.calls.some((c) => c.method === 'deleteRun')).toBe(false);
    a.requestDelete(id);
    await a.confirmDelete();
    expect(lab.calls.filter((c) => c.method === 'deleteRun')).toEqual([{ method: 'deleteRun', args: [id] }]);
    expect(a.runs.map((r) => r.id)).not.toContain(id);
    expect(a.notice).toEqual({ ok: true, text: `Deleted ${id}.` });
  });

  it('imports a trace file as base64 and reports a bad one in a sentence naming it', async () => {
    const a = useArchiveStore();
    await a.refresh();
    const bad = await a.importFile(new File(['hello'], 'notes.txt'));
    expect(bad).toBeNull();
    expect(a.notice).toEqual({ ok: false, text: "notes.txt was not imported: 'notes.txt' is not an SVA Lab trace: it is not an SQLite database." });
    const good = await a.importFile(new File(['SQLite format 3\0 rest of the file'], 'other.sqlite'));
    expect(good?.id).toBe('other.sqlite');
    const sent = lab.calls.filter((c) => c.method === 'importTrace').at(-1)?.args[0] as { bytesBase64: string };
    expect(atob(sent.bytesBase64).startsWith('SQLite format 3')).toBe(true);
    expect(a.runs[0].id).toBe('other.sqlite');
  });
});

describe('run form store', () => {
  it('starts from the defaults and shows the service\'s message beside a bad field', async () => {
    const c = useCatalogStore();
    await c.load();
    const f = useRunFormStore();
    const sc = c.scenario('oom-bound-victim');
    if (!sc) throw new Error('no scenario');
    f.selectScenario(sc);
    expect(f.values.mmExit).toBe(false);
    expect(f.values.dmaStopMs).toBe('5000');
    f.setValue('dmaStopMs', '-5');
    f.seed = 'x';
    await f.validate();
    expect(f.errors.dmaStopMs).toBe("Parameter 'dmaStopMs' of scenario 'oom-bound-victim' must be a number from 0 to 600000 (ms); got '-5'.");
    expect(f.errors.seed).toMatch(/Seed must be a non-negative integer/);
    expect(await f.start()).toBeNull();
    expect(f.startError).toBe('Fix the fields marked above first.');
    f.setValue('dmaStopMs', '60000');
    f.seed = '1';
    await f.validate();
    expect(f.errors).toEqual({});
    // Only what differs from the defaults is sent.
    expect(f.request()).toEqual({ scenario: 'oom-bound-victim', params: { dmaStopMs: 60000 }, seed: 1 });
  });

  it('follows its run\'s progress and hands back the id when it completes', async () => {
    const c = useCatalogStore();
    await c.load();
    const f = useRunFormStore();
    const sc = c.scenario('oom-bound-victim');
    if (!sc) throw new Error('no scenario');
    f.selectScenario(sc);
    f.setValue('mmExit', true);
    let done: string | null = null;
    const progress: number[] = [];
    lab.onEvent((e) => {
      const r = f.handleEvent(e);
      if (r) done = r;
      if (e.type === 'run-progress' && f.run) progress.push(f.run.events);
    });
    const runId = await f.start();
    expect(runId).toMatch(/oom-bound-victim-mm_exit-s1\.sqlite$/);
    expect(f.running).toBe(true);
    for (let i = 0; i < 50 && !done; i++) await tick(2);
    expect(progress.length).toBe(2);
    expect(progress[1]).toBeGreaterThan(progress[0]);
    expect(done).toBe(runId);
    expect(f.run?.status).toBe('complete');
    // An event of somebody else's run does not touch the form.
    f.handleEvent({ type: 'run-finished', runId: 'other.sqlite', status: 'failed', error: 'x' });
    expect(f.run?.status).toBe('complete');
  });

  it('cancels its run', async () => {
    const c = useCatalogStore();
    await c.load();
    const f = useRunFormStore();
    f.selectScenario(c.scenarios[0]);
    lab.onEvent((e) => f.handleEvent(e));
    await f.start();
    await f.cancel();
    for (let i = 0; i < 50 && f.running; i++) await tick(2);
    expect(f.run?.status).toBe('cancelled');
  });
});

describe('run view store', () => {
  it('opens a run fitted, with the cursor on the trigger and the state there', async () => {
    const v = useRunViewStore();
    const run = mmExitRun();
    await v.open(run.item.id);
    expect(v.info?.summary.metrics.innocentVictims).toBe(1);
    expect(v.view.fromNs).toBeLessThanOrEqual(0);
    expect(v.view.toNs).toBeGreaterThanOrEqual(run.info.endNs);
    expect(v.cursor).toEqual({ tNs: run.info.triggerNs, seq: null });
    expect(v.modelState).toEqual(await lab.state(run.item.id, run.info.triggerNs ?? 0));
    expect(v.eventRows.length).toBeGreaterThan(10);
  });

  it('steps event by event and jumps to the ends', async () => {
    const v = useRunViewStore();
    const run = mmExitRun();
    await v.open(run.item.id);
    const t = v.cursor?.tNs ?? 0;
    await v.step(1);
    const first = v.cursor;
    expect(first?.seq).not.toBeNull();
    expect(first?.tNs).toBeGreaterThanOrEqual(t);
    await v.step(1);
    expect(v.cursor?.seq).toBe((first?.seq ?? 0) + 1);
    await v.step(-1);
    expect(v.cursor?.seq).toBe(first?.seq);
    await v.jumpToEnd('last');
    expect(v.cursor?.seq).toBe(run.events.length);
    expect(v.cursor?.tNs).toBe(run.info.endNs);
    await v.step(1); // past the end: stays
    expect(v.cursor?.seq).toBe(run.events.length);
    await v.jumpToEnd('first');
    expect(v.cursor?.seq).toBe(1);
    // The view followed the cursor to the start.
    expect(v.view.fromNs).toBeLessThanOrEqual(v.cursor?.tNs ?? 0);
  });

  it('shows the victim in D inside release() and explains the second OOM kill', async () => {
    const v = useRunViewStore();
    const run = mmExitRun();
    await v.open(run.item.id);
    const release = run.events.find((e) => e.kind === KIND.release_begin);
    const kills = run.events.filter((e) => e.kind === KIND.oom_kill);
    expect(release && kills.length === 2).toBe(true);
    v.setCursorTime((release?.t ?? 0) + 1e9);
    await v.refreshCursor();
    const victim = v.modelState?.tasks.find((t) => t.name === 'accel-app:2');
    expect(victim?.state).toBe('D');
    expect(victim?.waitsOn).toMatch(/accel0 q0/);
    await v.jumpTo({ seq: kills[1].seq, tNs: kills[1].t });
    expect(v.selectedSeq).toBe(kills[1].seq);
    expect(v.chain[0].seq).toBe(kills[1].seq);
    expect(v.chain[0].kind).toBe('oom_kill');
    // Newest first, each the cause of the one before it.
    for (let i = 1; i < v.chain.length; i++) expect(v.chain[i].seq).toBe(v.chain[i - 1].causeSeq);
  });

  it('keeps zoom and pan inside the run', async () => {
    const v = useRunViewStore();
    const run = mmExitRun();
    await v.open(run.item.id);
    const w0 = v.view.toNs - v.view.fromNs;
    v.zoom(0.5, 1e9);
    expect(v.view.toNs - v.view.fromNs).toBeCloseTo(w0 / 2);
    v.pan(100);
    expect(v.view.toNs).toBeLessThanOrEqual(run.info.endNs * 1.02 + 1);
    v.fit();
    expect(v.view.toNs - v.view.fromNs).toBeCloseTo(w0);
  });

  it('says which run could not be opened', async () => {
    const v = useRunViewStore();
    await v.open('gone.sqlite');
    expect(v.error).toBe("The run gone.sqlite could not be opened: There is no run 'gone.sqlite' in the archive.");
  });
});
