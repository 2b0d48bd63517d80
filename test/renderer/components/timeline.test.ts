// @vitest-environment happy-dom
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { createPinia, setActivePinia, type Pinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { setLab } from '../../../renderer/src/api/lab';
import BaseTimeline from '../../../renderer/src/components/BaseTimeline.vue';
import RunView from '../../../renderer/src/components/RunView.vue';
import { useRunViewStore } from '../../../renderer/src/stores/runView';
import { GUTTER } from '../../../renderer/src/timeline/draw';
import { SHORTCUTS } from '../../../renderer/src/timeline/shortcuts';
import { createFakeLab, STORY_RUNS, type FakeLab } from '../fakeLab';

/**
 * The run view's timeline as a user drives it (issue 12): groups, the lane filter, pinning, the
 * event search, selection and its details, area aggregates, the keyboard. The canvas is not
 * painted here (happy-dom has no 2D context), but its layout and hit testing are the real ones:
 * pointer coordinates are the canvas's own (happy-dom's boxes sit at 0, 0).
 */
let lab: FakeLab;
let pinia: Pinia;
let wrapper: VueWrapper | null = null;
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
let restoreWidth: (() => void) | null = null;
const WIDTH = 1224;

beforeEach(() => {
  pinia = createPinia();
  setActivePinia(pinia);
  lab = createFakeLab({ runs: STORY_RUNS });
  setLab(lab);
  const w = Object.getOwnPropertyDescriptor(HTMLElement.prototype, 'clientWidth');
  const h = Object.getOwnPropertyDescriptor(HTMLElement.prototype, 'clientHeight');
  Object.defineProperty(HTMLElement.prototype, 'clientWidth', { configurable: true, get: () => WIDTH });
  Object.defineProperty(HTMLElement.prototype, 'clientHeight', { configurable: true, get: () => 5000 });
  restoreWidth = () => {
    if (w) Object.defineProperty(HTMLElement.prototype, 'clientWidth', w);
    if (h) Object.defineProperty(HTMLElement.prototype, 'clientHeight', h);
  };
});
afterEach(() => {
  wrapper?.unmount();
  wrapper = null;
  restoreWidth?.();
});

async function settle(n = 8): Promise<void> {
  for (let i = 0; i < n; i++) {
    await flushPromises();
    await wait(20);
  }
}

type Row = { kind: 'group' | 'lane'; name: string; id: number | string; collapsed?: boolean; pinned?: boolean; y: number; h: number; spanY: number | null };
interface TimelineVm {
  rowsNow(): Row[];
  focusedIndex(): number;
}

async function mountRun(model: 'mm_exit' | 'quiet' = 'mm_exit'): Promise<{ w: VueWrapper; tl: () => TimelineVm; store: ReturnType<typeof useRunViewStore> }> {
  const id = lab.runs.find((r) => r.item.model === model)?.item.id ?? '';
  const w = mount(RunView, { props: { runId: id }, global: { plugins: [pinia] }, attachTo: document.body });
  wrapper = w;
  await settle();
  const tl = () => w.findComponent(BaseTimeline).vm as unknown as TimelineVm;
  return { w, tl, store: useRunViewStore() };
}

const canvas = (w: VueWrapper) => w.get('canvas.timeline-lanes');
const xOf = (store: ReturnType<typeof useRunViewStore>, t: number) => GUTTER + ((t - store.view.fromNs) / (store.view.toNs - store.view.fromNs)) * (WIDTH - GUTTER);

async function click(w: VueWrapper, x: number, y: number, shift = false): Promise<void> {
  const c = canvas(w);
  await c.trigger('pointerdown', { button: 0, clientX: x, clientY: y, pointerId: 1, shiftKey: shift });
  await c.trigger('pointerup', { button: 0, clientX: x, clientY: y, pointerId: 1 });
  await c.trigger('click', { button: 0, clientX: x, clientY: y });
  await settle(3);
}

describe('track groups', () => {
  it('groups the lanes by process, device and subsystem; the alarming groups come first; a click on a group folds it into one summary row', async () => {
    const { w, tl, store } = await mountRun();
    const rows = tl().rowsNow();
    const groups = rows.filter((r) => r.kind === 'group');
    expect(groups.length).toBe(store.info?.groups.length);
    // Every lane once (a small run opens every group).
    expect(rows.filter((r) => r.kind === 'lane').map((r) => r.id).sort()).toEqual(store.info?.tracks.map((t) => t.id).sort());
    // The OOM killer (its kills) and the victim process (killed, its release() call) first.
    expect(groups.slice(0, 2).map((g) => g.name)).toEqual(expect.arrayContaining(['OOM killer', expect.stringMatching(/^accel-app/)]));
    const victim = groups.find((g) => g.name.startsWith('accel-app'));
    if (!victim) throw new Error('no victim group');
    const before = rows.length;
    await click(w, 40, victim.y + 5);
    const after = tl().rowsNow();
    expect(after.find((r) => r.id === victim.id)?.collapsed).toBe(true);
    expect(after.length).toBe(before - 6); // its six lanes fold into the group's row
    expect(after.some((r) => r.name === 'accel-app:2')).toBe(false);
    // Fold all / open all.
    await w.findAll('.timeline-tools button').find((b) => b.text() === 'Fold all')?.trigger('click');
    await settle(2);
    expect(tl().rowsNow().every((r) => r.kind === 'group' && r.collapsed)).toBe(true);
    const open = w.findAll('.timeline-tools button').find((b) => b.text() === 'Open all groups');
    await open?.trigger('click');
    await settle(2);
    expect(tl().rowsNow().filter((r) => r.kind === 'lane')).toHaveLength(store.info?.tracks.length ?? -1);
  });
});

describe('lane filter and pinning', () => {
  it('the filter keeps the lanes (and groups) whose name matches; pinning puts a lane at the top', async () => {
    const { w, tl } = await mountRun();
    await w.get('.lane-filter input').setValue('pasid');
    await settle(2);
    const lanes = tl().rowsNow().filter((r) => r.kind === 'lane');
    expect(lanes.length).toBeGreaterThan(0);
    for (const l of lanes) expect(l.name.toLowerCase()).toContain('pasid');
    await w.get('.lane-filter input').setValue('');
    await settle(2);
    // Keyboard: down to a lane, p pins it; it is the first row.
    const c = canvas(w);
    await c.trigger('focus');
    const rows = tl().rowsNow();
    const target = rows.findIndex((r) => r.kind === 'lane' && r.name.startsWith('worker'));
    for (let i = 0; i < target; i++) await c.trigger('keydown', { key: 'ArrowDown' });
    expect(tl().focusedIndex()).toBe(target);
    const name = rows[target].name;
    await c.trigger('keydown', { key: 'p' });
    await settle(2);
    expect(tl().rowsNow()[0]).toMatchObject({ kind: 'lane', name, pinned: true });
    expect(tl().rowsNow().filter((r) => r.name === name)).toHaveLength(1);
    // A click on a lane's name pins and unpins too.
    await click(w, 40, tl().rowsNow()[0].y + 5);
    expect(tl().rowsNow()[0].pinned).toBeFalsy();
  });
});

describe('search over event text', () => {
  it('finds the next and previous match on the service, selects it and brings its lane into view', async () => {
    const { w, tl, store } = await mountRun();
    // Fold everything: the hit's group must open again.
    const fold = w.findAll('.timeline-tools button').find((b) => b.text() === 'Fold all');
    await fold?.trigger('click');
    await settle(2);
    await w.get('.event-search input').setValue('oom_kill');
    await w.get('.event-search').trigger('submit');
    await settle(4);
    const first = store.search.hit;
    expect(first).not.toBeNull();
    expect(first?.kind === 'oom_kill' || JSON.stringify(first?.args).includes('oom_kill')).toBe(true);
    expect(store.selection).toMatchObject({ kind: 'instant', seq: first?.seq });
    expect(lab.calls.filter((c) => c.method === 'searchEvents').at(-1)?.args).toEqual([store.runId, 'oom_kill', 0, 1]);
    const rows = tl().rowsNow();
    expect(rows[tl().focusedIndex()]).toMatchObject({ kind: 'lane', id: first?.actorId });
    await w.get('.event-search').trigger('submit');
    await settle(4);
    const second = store.search.hit;
    expect(second?.seq).toBeGreaterThan(first?.seq ?? Infinity);
    await w.findAll('.event-search button').find((b) => b.text().includes('Previous'))?.trigger('click');
    await settle(4);
    expect(store.search.hit?.seq).toBe(first?.seq);
    expect(w.get('#event-search-result').text()).toContain(`Event ${first?.seq}`);
    await w.get('.event-search input').setValue('no such thing anywhere');
    await w.get('.event-search').trigger('submit');
    await settle(4);
    expect(w.get('#event-search-result').text()).toBe('No later event matches “no such thing anywhere”.');
  });
});

describe('selection and details', () => {
  it('a click on the victim\'s release() selects the span: kind, lane, begin and end events, duration, and the why link', async () => {
    const { w, tl, store } = await mountRun();
    const lane = tl().rowsNow().find((r) => r.kind === 'lane' && r.name === 'accel-app:2');
    if (!lane || lane.spanY === null) throw new Error('no span row on the victim');
    const run = lab.runs.find((r) => r.item.model === 'mm_exit');
    const rel = run?.spans.find((s) => s.actor === Number(lane.id) && s.cat === 'release');
    if (!rel) throw new Error('no release()');
    // release() is the fifth call down on the victim (do_exit → exit_mm → … → release()): find its row from the window.
    const w0 = await lab.window(store.runId ?? '', store.view.fromNs, store.view.toNs, WIDTH - GUTTER, [Number(lane.id)]);
    const depth = w0.tracks[0].spans.find((s) => s.name === 'release()')?.depth ?? 0;
    await click(w, xOf(store, (rel.t0 + rel.t1) / 2), lane.y + lane.spanY + depth * 13 + 6);
    expect(store.selection).toMatchObject({ kind: 'span', name: 'release()', trackId: lane.id, t0: rel.t0 });
    const panel = w.get('.details-panel');
    expect(panel.text()).toContain('release() on accel-app:2');
    expect(panel.text()).toContain('60 s'); // its duration
    const items = panel.findAll('.details-events li').map((li) => li.text());
    expect(items[0]).toMatch(/^begins \d+ at/);
    expect(items[0]).toContain('release');
    expect(items[1]).toMatch(/^ends \d+ at/);
    // The why link follows the causes of its begin event.
    await panel.findAll('button').find((b) => b.text() === 'Why did this happen?')?.trigger('click');
    await settle(3);
    expect(store.selectedSeq).toBe(rel.beginSeq);
  });

  it('Shift-drag over lanes gives counts per kind and span time per lane', async () => {
    const { w, tl, store } = await mountRun();
    const rows = tl().rowsNow().filter((r) => r.kind === 'lane');
    const a = rows.find((r) => r.name === 'accel-app:2');
    const b = rows.find((r) => r.name === 'mm accel-app:1');
    if (!a || !b) throw new Error('lanes missing');
    const c = canvas(w);
    const x0 = GUTTER + 10;
    const x1 = WIDTH - 10;
    await c.trigger('pointerdown', { button: 0, clientX: x0, clientY: a.y + 3, pointerId: 1, shiftKey: true });
    await c.trigger('pointermove', { clientX: (x0 + x1) / 2, clientY: b.y + 3, pointerId: 1 });
    await c.trigger('pointermove', { clientX: x1, clientY: b.y + 3, pointerId: 1 });
    await c.trigger('pointerup', { button: 0, clientX: x1, clientY: b.y + 3, pointerId: 1 });
    await settle(4);
    expect(store.selection?.kind).toBe('area');
    const call = lab.calls.filter((x) => x.method === 'aggregateArea').at(-1);
    expect(call?.args[3]).toEqual(expect.arrayContaining([a.id, b.id]));
    const area = store.details.area;
    expect(area?.events).toBeGreaterThan(0);
    expect(area?.kinds.reduce((s, k) => s + k.count, 0)).toBe(area?.events);
    const panel = w.get('.details-panel');
    expect(panel.get('table[aria-label="Events per kind"]').text()).toContain('mm_users');
    expect(panel.get('table[aria-label="Span time per lane"]').text()).toContain('accel-app:2');
  });
});

describe('keyboard as Perfetto', () => {
  it('W/S zoom, A/D pan, arrows move between lanes, Enter selects at the cursor, f fits it, m marks, ? lists every shortcut', async () => {
    const { w, tl, store } = await mountRun();
    const c = canvas(w);
    await c.trigger('focus');
    const span = () => store.view.toNs - store.view.fromNs;
    const s0 = span();
    await c.trigger('keydown', { key: 'w' });
    expect(span()).toBeCloseTo(s0 / 2, -3);
    await c.trigger('keydown', { key: 's' });
    await c.trigger('keydown', { key: 'w' });
    await c.trigger('keydown', { key: 'w' });
    const from = store.view.fromNs;
    await c.trigger('keydown', { key: 'd' });
    expect(store.view.fromNs).toBeGreaterThan(from);
    await c.trigger('keydown', { key: 'a' });
    expect(store.view.fromNs).toBeCloseTo(from, -3);
    await c.trigger('keydown', { key: '0' });
    // ↓ to the OOM killer lane, Enter selects its kill nearest the cursor (the run opens on the trigger).
    const rows = tl().rowsNow();
    const killer = rows.findIndex((r) => r.kind === 'lane' && r.name === 'oom killer');
    for (let i = 0; i < killer; i++) await c.trigger('keydown', { key: 'ArrowDown' });
    await c.trigger('keydown', { key: 'ArrowUp' });
    await c.trigger('keydown', { key: 'ArrowDown' });
    expect(tl().focusedIndex()).toBe(killer);
    await settle(2);
    await c.trigger('keydown', { key: 'Enter' });
    await settle(3);
    expect(store.selection).toMatchObject({ kind: 'instant', eventKind: 'oom_kill' });
    await c.trigger('keydown', { key: 'f' });
    expect(span()).toBeLessThan(s0 / 100);
    await c.trigger('keydown', { key: 'm' });
    await settle(2);
    expect(lab.calls.some((x) => x.method === 'addAnnotation')).toBe(true);
    await c.trigger('keydown', { key: '?' });
    const help = w.get('[role="dialog"][aria-label="Keyboard shortcuts"]');
    for (const s of SHORTCUTS) expect(help.text()).toContain(s.keys);
    await c.trigger('keydown', { key: 'Escape' });
    expect(w.find('[role="dialog"][aria-label="Keyboard shortcuts"]').exists()).toBe(false);
    // On a group's row Enter folds it.
    await c.trigger('keydown', { key: 'Home' });
    const g = tl().rowsNow().findIndex((r) => r.kind === 'group');
    while (tl().focusedIndex() > g) await c.trigger('keydown', { key: 'ArrowUp' });
    await c.trigger('keydown', { key: 'Enter' });
    await settle(2);
    expect(tl().rowsNow()[g].collapsed).toBe(true);
  });

  it('opening a run costs a constant number of requests: one openRun, no findEvent, windows only for the lanes on screen', async () => {
    const { store } = await mountRun();
    expect(lab.calls.filter((c) => c.method === 'openRun')).toHaveLength(1);
    expect(lab.calls.filter((c) => c.method === 'findEvent')).toHaveLength(0);
    const windows = lab.calls.filter((c) => c.method === 'window');
    expect(windows.length).toBeGreaterThan(0);
    expect(windows.length).toBeLessThanOrEqual(12);
    for (const c of windows) expect(Array.isArray(c.args[4])).toBe(true);
    expect(store.info?.alarms.length).toBeGreaterThan(0);
  });
});
