// @vitest-environment happy-dom
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { setLab } from '../../../renderer/src/api/lab';
import { useCompareStore } from '../../../renderer/src/stores/compare';
import { linkQuery, useNavStore } from '../../../renderer/src/stores/nav';
import { usePairStore } from '../../../renderer/src/stores/pair';
import { PLAY_REFRESH_MS, useRunViewStore } from '../../../renderer/src/stores/runView';
import { createFakeLab, STORY_RUNS, type FakeLab } from '../fakeLab';

let lab: FakeLab;
const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

beforeEach(() => {
  setActivePinia(createPinia());
  lab = createFakeLab({ runs: STORY_RUNS, progressSteps: 2, progressEveryMs: 1 });
  setLab(lab);
});

const idOf = (model: 'mm_exit' | 'quiet') => {
  const r = lab.runs.find((x) => x.item.model === model);
  if (!r) throw new Error(`fixture has no ${model} run`);
  return r.item.id;
};

describe('nav store: deep links', () => {
  it('reads a run link with a time and a window, and a pair link with an alignment', () => {
    const nav = useNavStore();
    nav.fromHash('#/run/a.sqlite?t=300&from=100&to=900');
    expect(nav.screen).toBe('run');
    expect(nav.runId).toBe('a.sqlite');
    expect(nav.linkAt).toEqual({ tNs: 300, fromNs: 100, toNs: 900 });
    nav.fromHash('#/compare/a.sqlite/b%20c.sqlite?align=oom_kill&t=-5&from=-10&to=10');
    expect(nav.screen).toBe('compare');
    expect(nav.pair).toEqual({ a: 'a.sqlite', b: 'b c.sqlite' });
    expect(nav.linkAt).toEqual({ align: 'oom_kill', tNs: -5, fromNs: -10, toNs: 10 });
    expect(nav.hash()).toBe('#/compare/a.sqlite/b%20c.sqlite');
  });

  it('ignores the parts of a link that make no sense, and shows the archive for unknown paths', () => {
    const nav = useNavStore();
    nav.fromHash('#/run/a.sqlite?t=soon&from=9&to=3');
    expect(nav.linkAt).toEqual({});
    nav.fromHash('#/nowhere');
    expect(nav.screen).toBe('archive');
    expect(nav.linkAt).toBeNull();
  });

  it('keeps the view in the location without making it a new screen', () => {
    const nav = useNavStore();
    nav.go('run', 'a.sqlite');
    nav.setQuery(linkQuery({ tNs: 1.6, fromNs: -0.4, toNs: 1e9 }));
    expect(nav.location()).toBe('#/run/a.sqlite?t=2&from=0&to=1000000000');
    expect(nav.hash()).toBe('#/run/a.sqlite');
    nav.go('archive');
    expect(nav.location()).toBe('#/archive');
  });
});

describe('compare store', () => {
  it('opens both runs with the diff, aligned at the trigger, the cursor shared', async () => {
    const c = useCompareStore();
    await c.open(idOf('mm_exit'), idOf('quiet'));
    await tick();
    expect(c.infoA?.summary.model).toBe('mm_exit');
    expect(c.infoB?.summary.model).toBe('quiet');
    expect(c.align).toBe('trigger');
    expect(c.pointA.originNs).toBe(c.infoA?.triggerNs);
    expect(c.pointB.originNs).toBe(c.infoB?.triggerNs);
    expect(c.cursor).toBe(0);
    expect(c.diff?.metrics[0].name).toBe('releaseLatencyNs.max');
    expect(c.diff?.metrics.find((m) => m.name === 'innocentVictims')).toMatchObject({ a: 1, b: 0, direction: 'down' });
  });

  it('re-aligns at the first OOM kill through findEvent, keeping the cursor on the same time of A', async () => {
    const c = useCompareStore();
    await c.open(idOf('mm_exit'), idOf('quiet'));
    c.setCursorTime(1_000_000);
    const ownA = 1_000_000 + c.pointA.originNs;
    await c.applyAlign('oom_kill');
    const kills = lab.calls.filter((x) => x.method === 'findEvent' && x.args[1] === 'oom_kill');
    expect(kills).toHaveLength(2);
    const firstKillA = await lab.findEvent(idOf('mm_exit'), 'oom_kill', 1);
    expect(c.pointA).toMatchObject({ originNs: firstKillA?.tNs, seq: firstKillA?.seq, found: true });
    expect((c.cursor ?? 0) + c.pointA.originNs).toBe(ownA);
    // A run without such an event is aligned at its start, and the view says so.
    await c.applyAlign('deadlock');
    expect(c.pointA.found).toBe(false);
    expect(c.pointA.originNs).toBe(c.infoA?.startNs);
  });

  it('steps one side event by event; the other follows in time', async () => {
    const c = useCompareStore();
    await c.open(idOf('mm_exit'), idOf('quiet'));
    await c.step('a', 1);
    expect(c.seqA).not.toBeNull();
    expect(c.seqB).toBeNull();
    const s = c.seqA ?? 0;
    await c.step('a', 1);
    expect(c.seqA).toBe(s + 1);
    await c.jumpToEnd('b', 'last');
    expect(c.seqB).toBe(lab.runs.find((r) => r.item.id === idOf('quiet'))?.events.length);
    expect(c.seqA).toBeNull();
  });

  it('jumps both cursors to the first divergence, zoomed in, with the explanation shown', async () => {
    const c = useCompareStore();
    await c.open(idOf('mm_exit'), idOf('quiet'));
    await tick();
    const d = c.jumpToDivergence();
    expect(d).not.toBeNull();
    expect(c.divergenceShown).toBe(true);
    expect(c.seqA).toBe(d?.a?.seq);
    expect(c.seqB).toBe(d?.b?.seq);
    expect(c.cursor).toBe((d?.a?.tNs ?? 0) - c.pointA.originNs);
    expect(c.view.toNs - c.view.fromNs).toBeLessThanOrEqual(20_000_000);
    expect(c.cursor).toBeGreaterThanOrEqual(c.view.fromNs);
    expect(c.cursor).toBeLessThanOrEqual(c.view.toNs);
  });

  it('marks lanes that differ: in one run only, or holding other things in the window', async () => {
    const c = useCompareStore();
    await c.open(idOf('mm_exit'), idOf('quiet'));
    const ta = c.infoA?.tracks ?? [];
    const tb = c.infoB?.tracks ?? [];
    const shared = ta.find((t) => tb.some((u) => u.name === t.name));
    expect(shared).toBeDefined();
    const sig = (over: Record<string, string>) => new Map(ta.map((t) => [t.name, over[t.name] ?? 'same']));
    c.setLanes('a', { signatures: sig({ [shared!.name]: 'two kills' }), alarmNames: new Set([shared!.name]) });
    c.setLanes('b', { signatures: new Map(tb.map((t) => [t.name, 'same'])), alarmNames: new Set() });
    expect(c.differing.names).toContain(shared!.name);
    expect(c.differing.a.has(shared!.id)).toBe(true);
    expect(c.differing.b.has(tb.find((t) => t.name === shared!.name)!.id)).toBe(true);
    const onlyOne = [...ta.filter((t) => !tb.some((u) => u.name === t.name)), ...tb.filter((t) => !ta.some((u) => u.name === t.name))];
    for (const t of onlyOne) expect(c.differing.names).toContain(t.name);
    // Both panes put the alarming lane first and keep A's order otherwise.
    expect(c.laneOrder.alarmNames.has(shared!.name)).toBe(true);
    expect(c.laneOrder.rank.get(ta[0].name)).toBe(0);
  });

  it('says what went wrong when a run cannot be opened', async () => {
    const c = useCompareStore();
    await c.open('gone.sqlite', idOf('quiet'));
    expect(c.error).toBe("The runs could not be opened for comparison: There is no run 'gone.sqlite' in the archive.");
  });
});

describe('pair store', () => {
  it('runs both designs, follows both, and says when the pair is complete', async () => {
    const p = usePairStore();
    lab.onEvent((e) => p.handleEvent(e));
    const ids = await p.start({ scenario: 'oom-bound-victim', params: { mmExit: true, dmaStopMs: 1000 }, seed: 3 });
    expect(ids).not.toBeNull();
    const req = lab.calls.find((x) => x.method === 'startPair')?.args[0];
    expect(req).toEqual({ scenario: 'oom-bound-victim', params: { dmaStopMs: 1000 }, seed: 3 });
    expect(p.running).toBe(true);
    expect(p.isPair(ids!.a, ids!.b)).toBe(true);
    for (let i = 0; i < 20 && !p.done; i++) await tick(2);
    expect(p.done).toBe(true);
    expect(p.mmExit?.status).toBe('complete');
    expect(p.quiet?.events).toBeGreaterThan(0);
    expect(lab.runs.find((r) => r.item.id === ids!.a)?.item.model).toBe('mm_exit');
    expect(lab.runs.find((r) => r.item.id === ids!.b)?.item.model).toBe('quiet');
  });

  it('says why a pair did not start', async () => {
    const p = usePairStore();
    expect(await p.start({ scenario: 'oom-bound-victim', params: { dmaStopMs: -1 }, seed: 1 })).toBeNull();
    expect(p.error).toMatch(/^The pair did not start: Parameter 'dmaStopMs'/);
  });
});

describe('run view store: annotations, replay, verify, deep links', () => {
  it('adds a note at the cursor event, lists it by time, jumps to it and deletes it', async () => {
    const s = useRunViewStore();
    await s.open(idOf('mm_exit'));
    await s.step(1);
    await s.step(1);
    const at = { ...s.cursor! };
    const note = await s.addAnnotation('note', '  the second victim  ');
    expect(note).toMatchObject({ kind: 'note', text: 'the second victim', seq: at.seq, tNs: at.tNs });
    await s.jumpToEnd('first');
    const bm = await s.addAnnotation('bookmark', '');
    expect(bm?.text).toMatch(/^Bookmark at /);
    expect(s.annotations.map((a) => a.kind)).toEqual(['bookmark', 'note']); // by time
    expect(await s.addAnnotation('note', '   ')).toBeNull();
    expect(s.annotationsError).toBe('A note needs some text; write what you saw here.');
    await s.jumpToAnnotation(note!);
    expect(s.cursor).toEqual({ tNs: at.tNs, seq: at.seq });
    expect(s.selectedSeq).toBe(at.seq);
    await s.deleteAnnotation(note!.id);
    expect(s.annotations).toHaveLength(1);
    // Reopening reads them back from the service.
    await s.open(idOf('mm_exit'));
    await tick();
    expect(s.annotations.map((a) => a.text)).toEqual([bm?.text]);
  });

  it('plays the cursor forward, the panels following at most every PLAY_REFRESH_MS', async () => {
    const s = useRunViewStore();
    await s.open(idOf('mm_exit'));
    const statesBefore = lab.calls.filter((c) => c.method === 'state').length;
    const t0 = s.cursor!.tNs;
    s.playTo(t0 + 1_000_000, 10_000);
    s.playTo(t0 + 2_000_000, 10_000 + PLAY_REFRESH_MS / 4);
    s.playTo(t0 + 3_000_000, 10_000 + PLAY_REFRESH_MS / 2);
    await tick();
    expect(s.cursor).toEqual({ tNs: t0 + 3_000_000, seq: null });
    expect(lab.calls.filter((c) => c.method === 'state').length - statesBefore).toBe(1);
    s.playTo(s.endNs + 1e12, 10_000 + PLAY_REFRESH_MS * 2);
    expect(s.cursor?.tNs).toBe(s.endNs);
    expect(s.view.toNs).toBeGreaterThanOrEqual(s.endNs);
  });

  it('re-runs and verifies the digest', async () => {
    const s = useRunViewStore();
    await s.open(idOf('quiet'));
    const p = s.verifyRun();
    expect(s.verify?.running).toBe(true);
    await p;
    expect(s.verify?.result?.match).toBe(true);
    lab.failNext('verifyRun', 'The worker died.');
    await s.verifyRun();
    expect(s.verify?.error).toBe('The run could not be verified: The worker died.');
  });

  it('opens at the time and window a deep link gives', async () => {
    const s = useRunViewStore();
    await s.open(idOf('mm_exit'), { tNs: 300_000_000, fromNs: 250_000_000, toNs: 350_000_000 });
    expect(s.cursor).toEqual({ tNs: 300_000_000, seq: null });
    expect(s.view).toEqual({ fromNs: 250_000_000, toNs: 350_000_000 });
    s.goTo({ tNs: 1_000_000_000 });
    expect(s.cursor?.tNs).toBe(1_000_000_000);
    expect(s.view.toNs).toBeGreaterThan(1_000_000_000);
  });
});
