// @vitest-environment happy-dom
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { createPinia, setActivePinia, type Pinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LabApi } from '../../../main/contract';
import { setLab } from '../../../renderer/src/api/lab';
import RunView from '../../../renderer/src/components/RunView.vue';
import TheApp from '../../../renderer/src/components/TheApp.vue';
import { PANELS_AT_LATEST_MS } from '../../../renderer/src/stores/runView';
import { createFakeLab, STORY_RUNS, type FakeLab } from '../fakeLab';

/**
 * Opening a run (issue 12, open -> first full frame): the panels around the timeline (details,
 * events, why, kernel log, state, bookmarks) mount once the timeline's opening frame is settled, so
 * that rendering them does not hold up the first tiles; a failed tile or a frame that never comes
 * does not keep them away.
 */
let lab: FakeLab;
let pinia: Pinia;
let wrapper: VueWrapper | null = null;
let restoreSize: (() => void) | null = null;
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeEach(() => {
  pinia = createPinia();
  setActivePinia(pinia);
  lab = createFakeLab({ runs: STORY_RUNS });
  // happy-dom does no layout: give the timeline a size, so that it draws and waits for its tiles.
  const w = Object.getOwnPropertyDescriptor(HTMLElement.prototype, 'clientWidth');
  const h = Object.getOwnPropertyDescriptor(HTMLElement.prototype, 'clientHeight');
  Object.defineProperty(HTMLElement.prototype, 'clientWidth', { configurable: true, get: () => 1224 });
  Object.defineProperty(HTMLElement.prototype, 'clientHeight', { configurable: true, get: () => 800 });
  restoreSize = () => {
    if (w) Object.defineProperty(HTMLElement.prototype, 'clientWidth', w);
    if (h) Object.defineProperty(HTMLElement.prototype, 'clientHeight', h);
  };
});
afterEach(() => {
  wrapper?.unmount();
  wrapper = null;
  restoreSize?.();
});

async function settle(n = 6): Promise<void> {
  for (let i = 0; i < n; i++) {
    await flushPromises();
    await wait(20);
  }
}

/** The fake lab with its timeline tiles held until `release` is called. */
function holdTiles(): { api: LabApi; release: () => void } {
  let release = () => {};
  const gate = new Promise<void>((r) => (release = r));
  const api: LabApi = { ...lab, window: (...args: Parameters<LabApi['window']>) => gate.then(() => lab.window(...args)) };
  return { api, release };
}

const panels = (w: VueWrapper) => ({
  state: w.find('section.state-panel').exists(),
  kernelLog: w.find('section.kernel-log').exists(),
  annotations: w.find('.annotations').exists(),
});

describe('RunView: panels after the first frame', () => {
  it('shows the timeline first and mounts the panels once every tile of its opening frame is in', async () => {
    const held = holdTiles();
    setLab(held.api);
    const id = lab.runs.find((r) => r.item.model === 'mm_exit')?.item.id ?? '';
    wrapper = mount(RunView, { props: { runId: id }, global: { plugins: [pinia] }, attachTo: document.body });
    await settle();
    // The run is open and its timeline asked for tiles; none is in yet.
    expect(wrapper.find('canvas.timeline-lanes').exists()).toBe(true);
    expect(wrapper.find('.metric-card').exists()).toBe(true);
    expect(panels(wrapper)).toEqual({ state: false, kernelLog: false, annotations: false });
    // The kernel log panel asks for the log when it mounts: not before the first frame.
    expect(lab.calls.some((c) => c.method === 'dmesg')).toBe(false);

    held.release();
    await settle();
    expect(panels(wrapper)).toEqual({ state: true, kernelLog: true, annotations: true });
    expect(lab.calls.filter((c) => c.method === 'window').length).toBeGreaterThan(0);
    expect(lab.calls.some((c) => c.method === 'dmesg')).toBe(true);
    // The state the store read meanwhile is on show at once.
    expect(wrapper.find('section.state-panel table').exists()).toBe(true);
  });

  it('asks for the state, the events, the bookmarks and the catalog only after the opening tiles (the lab answers one call at a time)', async () => {
    const held = holdTiles();
    setLab(held.api);
    const id = lab.runs.find((r) => r.item.model === 'mm_exit')?.item.id ?? '';
    wrapper = mount(RunView, { props: { runId: id }, global: { plugins: [pinia] }, attachTo: document.body });
    await settle();
    const asked = () => lab.calls.map((c) => c.method);
    for (const m of ['state', 'events', 'listAnnotations', 'catalog']) expect(asked(), `${m} while the tiles are held`).not.toContain(m);
    held.release();
    await settle();
    for (const m of ['state', 'events', 'listAnnotations', 'catalog']) expect(asked().lastIndexOf(m), m).toBeGreaterThan(asked().indexOf('window'));
    expect(wrapper.find('section.state-panel table').exists()).toBe(true);
  });

  it('mounts the panels when a tile of the opening frame fails', async () => {
    setLab(lab);
    lab.failNext('window', 'the trace file went away');
    const id = lab.runs.find((r) => r.item.model === 'mm_exit')?.item.id ?? '';
    wrapper = mount(RunView, { props: { runId: id }, global: { plugins: [pinia] }, attachTo: document.body });
    await settle();
    expect(wrapper.find('[role="alert"]').text()).toContain('Timeline data failed: the trace file went away');
    expect(panels(wrapper)).toEqual({ state: true, kernelLog: true, annotations: true });
  });

  it(`mounts the panels at the latest ${PANELS_AT_LATEST_MS} ms after the run opened when its tiles never come`, async () => {
    setLab(holdTiles().api);
    const id = lab.runs.find((r) => r.item.model === 'mm_exit')?.item.id ?? '';
    wrapper = mount(RunView, { props: { runId: id }, global: { plugins: [pinia] }, attachTo: document.body });
    await settle();
    expect(panels(wrapper).state).toBe(false);
    await wait(PANELS_AT_LATEST_MS);
    await settle(2);
    expect(panels(wrapper)).toEqual({ state: true, kernelLog: true, annotations: true });
  });

  it('asks for the opening tiles the moment the info comes, before the rest of the run view renders (the lab works on them meanwhile)', async () => {
    let cardsAtFirstWindow: boolean | null = null;
    let openRunAskedBeforeMount: boolean | null = null;
    const api: LabApi = {
      ...lab,
      openRun: (...args: Parameters<LabApi['openRun']>) => {
        openRunAskedBeforeMount ??= !document.querySelector('canvas.timeline-lanes');
        return lab.openRun(...args);
      },
      window: (...args: Parameters<LabApi['window']>) => {
        cardsAtFirstWindow ??= document.querySelector('.metric-card') !== null;
        return lab.window(...args);
      },
    };
    setLab(api);
    const id = lab.runs.find((r) => r.item.model === 'mm_exit')?.item.id ?? '';
    wrapper = mount(RunView, { props: { runId: id }, global: { plugins: [pinia] }, attachTo: document.body });
    // While the run opens, its (empty) timeline is on screen already.
    expect(wrapper.find('canvas.timeline-lanes').exists()).toBe(true);
    await settle();
    expect(openRunAskedBeforeMount).toBe(true);
    expect(cardsAtFirstWindow).toBe(false);
    expect(wrapper.find('.metric-card').exists()).toBe(true);
  });

  it('draws the opening frame once when its tiles land one by one (no partial frame per tile), and once they are all in it is full', async () => {
    const gates: (() => void)[] = [];
    const api: LabApi = {
      ...lab,
      window: (...args: Parameters<LabApi['window']>) => new Promise<void>((r) => gates.push(r)).then(() => lab.window(...args)),
    };
    setLab(api);
    // A run whose whole-run view needs more than one tile: the story run, viewed on a plot this wide.
    const w = window as Window & { __svaDrawTimes?: number[]; __svaFirstFull?: number | null };
    w.__svaDrawTimes = [];
    w.__svaFirstFull = null;
    // The hold lasts OPENING_HOLD_MS from the info: with the clock (performance.now) stopped, a slow
    // machine cannot run the test past it. Timers stay real.
    vi.useFakeTimers({ toFake: ['performance'] });
    try {
      const id = lab.runs.find((r) => r.item.model === 'mm_exit')?.item.id ?? '';
      wrapper = mount(RunView, { props: { runId: id }, global: { plugins: [pinia] }, attachTo: document.body });
      await settle();
      expect(gates.length, 'tile requests of the opening frame').toBeGreaterThanOrEqual(2);
      const before = w.__svaDrawTimes.length;
      // Every tile but the last lands: nothing is drawn meanwhile.
      const pending = gates.splice(0);
      for (const g of pending.slice(0, -1)) {
        g();
        await settle(2);
      }
      expect(w.__svaDrawTimes.length).toBe(before);
      expect(w.__svaFirstFull).toBeNull();
      pending[pending.length - 1]();
      await settle(3);
      expect(w.__svaFirstFull).not.toBeNull();
      for (const g of gates) g();
    } finally {
      vi.useRealTimers();
      delete w.__svaDrawTimes;
      delete w.__svaFirstFull;
    }
  });

  it('a link to a run renders the run view first: the archive is neither drawn nor listed ahead of the run', async () => {
    setLab(lab);
    const id = lab.runs.find((r) => r.item.model === 'mm_exit')?.item.id ?? '';
    window.location.hash = `#/run/${encodeURIComponent(id)}`;
    try {
      wrapper = mount(TheApp, { global: { plugins: [pinia] }, attachTo: document.body });
      expect(wrapper.find('section.run-view').exists()).toBe(true);
      await settle();
      const order = lab.calls.map((c) => c.method);
      expect(order[0]).toBe('openRun');
      expect(order).not.toContain('listRuns');
    } finally {
      window.location.hash = '';
    }
  });

  it('asks for the run before the catalog (the lab answers in order; the run is what the user waits for)', async () => {
    setLab(lab);
    const id = lab.runs.find((r) => r.item.model === 'mm_exit')?.item.id ?? '';
    wrapper = mount(RunView, { props: { runId: id }, global: { plugins: [pinia] }, attachTo: document.body });
    await settle();
    const order = lab.calls.map((c) => c.method);
    expect(order).toContain('catalog');
    expect(order.indexOf('openRun')).toBeLessThan(order.indexOf('catalog'));
  });
});
