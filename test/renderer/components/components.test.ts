// @vitest-environment happy-dom
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { createPinia, setActivePinia, type Pinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KIND } from '../../../main/sim/events';
import { METRIC_DOCS } from '../../../main/sim/metrics';
import { setLab } from '../../../renderer/src/api/lab';
import ArchiveScreen from '../../../renderer/src/components/ArchiveScreen.vue';
import NewRunForm from '../../../renderer/src/components/NewRunForm.vue';
import RunView from '../../../renderer/src/components/RunView.vue';
import { useRunViewStore } from '../../../renderer/src/stores/runView';
import { createFakeLab, STORY_RUNS, type FakeLab } from '../fakeLab';

let lab: FakeLab;
let pinia: Pinia;
let wrapper: VueWrapper | null = null;
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeEach(() => {
  pinia = createPinia();
  setActivePinia(pinia);
  lab = createFakeLab({ runs: STORY_RUNS });
  setLab(lab);
});
afterEach(() => {
  wrapper?.unmount();
  wrapper = null;
});

/** Every button, input and select has a name a screen reader can read. */
function expectNamedControls(w: VueWrapper): void {
  for (const el of w.findAll('button, input, select').map((x) => x.element as HTMLElement)) {
    const id = el.getAttribute('id');
    const named =
      (el.getAttribute('aria-label') ?? '').trim() !== '' ||
      (el.tagName === 'BUTTON' && (el.textContent ?? '').trim() !== '') ||
      (id !== null && w.find(`label[for="${id}"]`).exists()) ||
      el.closest('label') !== null;
    expect(named, `unnamed control: ${el.outerHTML.slice(0, 120)}`).toBe(true);
  }
}

describe('ArchiveScreen', () => {
  it('lists runs with design, status and the key metrics', async () => {
    wrapper = mount(ArchiveScreen, { global: { plugins: [pinia] }, attachTo: document.body });
    await flushPromises();
    const rows = wrapper.findAll('tbody tr');
    expect(rows).toHaveLength(2);
    const mmExit = rows[0].text();
    expect(mmExit).toContain('oom-bound-victim');
    expect(mmExit).toContain('mm_exit');
    expect(mmExit).toContain('complete');
    expect(mmExit).toContain('60 s'); // release() latency
    expect(mmExit).toContain('2 / 1'); // victims / innocent
    expect(rows[1].text()).toContain('quiet');
    expectNamedControls(wrapper);
  });

  it('deletes a run only after the confirmation', async () => {
    wrapper = mount(ArchiveScreen, { global: { plugins: [pinia] } });
    await flushPromises();
    const id = lab.runs[0].item.id;
    await wrapper.get(`button[aria-label="Delete run ${id}"]`).trigger('click');
    expect(wrapper.text()).toContain('Delete this trace file?');
    expect(lab.calls.some((c) => c.method === 'deleteRun')).toBe(false);
    await wrapper.get(`button[aria-label="Yes, delete ${id}"]`).trigger('click');
    await flushPromises();
    expect(lab.calls.filter((c) => c.method === 'deleteRun')).toHaveLength(1);
    expect(wrapper.findAll('tbody tr')).toHaveLength(1);
    expect(wrapper.get('[role="status"]').text()).toBe(`Deleted ${id}.`);
  });

  it('says the archive is empty and how to start', async () => {
    setLab(createFakeLab());
    wrapper = mount(ArchiveScreen, { global: { plugins: [pinia] } });
    await flushPromises();
    expect(wrapper.text()).toContain('The archive is empty');
    expect(wrapper.find('table').exists()).toBe(false);
  });

  it('emits open with the run id', async () => {
    wrapper = mount(ArchiveScreen, { global: { plugins: [pinia] } });
    await flushPromises();
    const id = lab.runs[1].item.id;
    await wrapper.get(`button[aria-label="Open run ${id}"]`).trigger('click');
    expect(wrapper.emitted('open')).toEqual([[id]]);
  });
});

describe('NewRunForm', () => {
  it('is generated from the catalog, grouped, with the validation message beside the field', async () => {
    wrapper = mount(NewRunForm, { global: { plugins: [pinia] }, attachTo: document.body });
    await flushPromises();
    const summaries = wrapper.findAll('summary').map((s) => s.text());
    expect(summaries).toEqual(['Kernel design (5)', 'Scenario (10)', 'Model costs (19)']);
    const input = wrapper.get('#param-dmaStopMs');
    expect((input.element as HTMLInputElement).value).toBe('5000');
    await input.setValue('-5');
    await wait(260); // the form validates 200 ms after the last keystroke
    await flushPromises();
    const field = input.element.closest('.field') as HTMLElement;
    const err = field.querySelector('.error');
    // In the user's words: what to enter and what is wrong with what is there.
    expect(err?.textContent).toBe('Enter a number from 0 to 600000 ms: -5 is below the smallest allowed, 0.');
    expect(input.attributes('aria-invalid')).toBe('true');
    expect(input.attributes('aria-describedby')).toContain(err?.getAttribute('id'));
    expectNamedControls(wrapper);
  });

  it('says "not a number" for abc (a number box reports it empty), counts the fields to fix at the button pressed and focuses the first', async () => {
    wrapper = mount(NewRunForm, { global: { plugins: [pinia] }, attachTo: document.body });
    await flushPromises();
    await wrapper.get('#param-dmaStopMs').setValue('');
    await wrapper.get('#seed').setValue('');
    await wrapper.get('form.run-form').trigger('submit');
    await wait(50);
    await flushPromises();
    const err = wrapper.get('#param-dmaStopMs').element.closest('.field')?.querySelector('.error');
    expect(err?.textContent).toBe('Enter a number from 0 to 600000 ms: this box is empty or does not hold a number.');
    expect(wrapper.get('.form-actions .error-count').text()).toBe('2 fields to fix: the first is focused');
    expect(document.activeElement?.getAttribute('aria-invalid')).toBe('true');
    expect(wrapper.text()).toContain('Enter a seed: a whole number, 0 or more');
    expect(wrapper.text()).not.toContain("got ''");
  });

  it('runs, shows progress with events and virtual time, and asks to open the run', async () => {
    const slow = createFakeLab({ runs: [], progressSteps: 3, progressEveryMs: 30 });
    setLab(slow);
    wrapper = mount(NewRunForm, { global: { plugins: [pinia] } });
    await flushPromises();
    const { useRunFormStore } = await import('../../../renderer/src/stores/runForm');
    const form = useRunFormStore();
    slow.onEvent((e) => form.handleEvent(e));
    await wrapper.get('input[type="radio"][name="param-mmExit"]').setValue(true);
    await wrapper.get('form').trigger('submit');
    await flushPromises();
    await wait(45);
    await flushPromises();
    expect(wrapper.find('progress').exists()).toBe(true);
    expect(wrapper.text()).toMatch(/[\d,]+ events/);
    expect(wrapper.text()).toMatch(/virtual time \d/);
    expect(wrapper.find('button.danger').text()).toBe('Cancel run');
    await wait(150);
    await flushPromises();
    expect(wrapper.text()).toContain('The run is complete');
    expect(slow.calls.find((c) => c.method === 'startRun')?.args[0]).toMatchObject({ params: { mmExit: true } });
  });
});

describe('RunView', () => {
  async function mountRun(): Promise<VueWrapper> {
    const id = lab.runs.find((r) => r.item.model === 'mm_exit')?.item.id ?? '';
    const w = mount(RunView, { props: { runId: id }, global: { plugins: [pinia] }, attachTo: document.body });
    for (let i = 0; i < 5; i++) {
      await flushPromises();
      await wait(5);
    }
    return w;
  }

  it('shows release() latency first, each card with its definition on hover', async () => {
    wrapper = await mountRun();
    const cards = wrapper.findAll('.metric-card');
    expect(cards[0].text()).toContain('release() latency');
    expect(cards[0].text()).toContain('max 60 s');
    expect(cards[0].attributes('title')).toBe(METRIC_DOCS.releaseLatencyNs);
    const innocent = cards.find((c) => c.text().includes('innocent victims'));
    expect(innocent?.classes()).toContain('alarm');
    expect(innocent?.attributes('title')).toBe(METRIC_DOCS.innocentVictims);
  });

  it('has a focusable, labelled timeline that steps with the arrow keys and zooms with + and 0', async () => {
    wrapper = await mountRun();
    const store = useRunViewStore();
    const canvas = wrapper.get('canvas[tabindex="0"]');
    expect(canvas.attributes('aria-label')).toMatch(/^Timeline of oom-bound-victim \(mm_exit design\): \d+ lanes/);
    expect(canvas.attributes('aria-label')).toMatch(/arrows step event by event/);
    await canvas.trigger('keydown', { key: 'ArrowRight' });
    await flushPromises();
    const seq = store.cursor?.seq;
    expect(seq).not.toBeNull();
    await canvas.trigger('keydown', { key: 'ArrowRight' });
    await flushPromises();
    expect(store.cursor?.seq).toBe((seq ?? 0) + 1);
    const w0 = store.view.toNs - store.view.fromNs;
    await canvas.trigger('keydown', { key: '+' });
    expect(store.view.toNs - store.view.fromNs).toBeCloseTo(w0 / 2);
    await canvas.trigger('keydown', { key: '0' });
    expect(store.view.toNs - store.view.fromNs).toBeCloseTo(w0);
    await canvas.trigger('keydown', { key: 'End' });
    await flushPromises();
    expect(store.cursor?.seq).toBe(lab.runs.find((r) => r.item.model === 'mm_exit')?.events.length);
    expectNamedControls(wrapper);
  });

  it('asks for level-of-detail tiles, never one window for the whole trace at full detail', async () => {
    // happy-dom does no layout: give the timeline a width so it draws.
    const desc = Object.getOwnPropertyDescriptor(HTMLElement.prototype, 'clientWidth');
    Object.defineProperty(HTMLElement.prototype, 'clientWidth', { configurable: true, get: () => 1224 });
    try {
      wrapper = await mountRun();
      for (let i = 0; i < 5; i++) {
        await wait(20);
        await flushPromises();
      }
    } finally {
      if (desc) Object.defineProperty(HTMLElement.prototype, 'clientWidth', desc);
    }
    const windows = lab.calls.filter((c) => c.method === 'window');
    expect(windows.length).toBeGreaterThan(0);
    const run = lab.runs.find((r) => r.item.model === 'mm_exit');
    for (const c of windows) {
      const [, from, to, px] = c.args as [string, number, number, number];
      expect(px).toBe(512);
      // Tiles at ~1 screen pixel per tile pixel: 1024 px of plot show a 62 s view, so a tile spans
      // at most 512 × 2^26 ns (134 s), and a few tiles cover the view.
      expect(to - from).toBeLessThanOrEqual(512 * 2 ** 26);
      expect(Math.log2((to - from) / 512) % 1).toBe(0);
    }
    expect(run?.info.endNs).toBeGreaterThan(0);
  });

  it('names the OOM kills and the hung tasks even when the tiles only carry anonymous buckets', async () => {
    // A service whose zoomed-out tiles merge instants into kind-less buckets (as level-of-detail
    // tables do): the markers must come from the alarm index openRun carries instead.
    const real = lab.window.bind(lab);
    lab.window = async (...args) => {
      const w = await real(...args);
      for (const t of w.tracks) t.instants = t.instants.map((e) => ({ ...e, kind: 'events' }));
      return w;
    };
    const desc = Object.getOwnPropertyDescriptor(HTMLElement.prototype, 'clientWidth');
    Object.defineProperty(HTMLElement.prototype, 'clientWidth', { configurable: true, get: () => 1224 });
    try {
      wrapper = await mountRun();
      for (let i = 0; i < 10; i++) {
        await wait(10);
        await flushPromises();
      }
    } finally {
      if (desc) Object.defineProperty(HTMLElement.prototype, 'clientWidth', desc);
    }
    const alarms = wrapper.get('ul[aria-label="Alarms on the timeline"]').findAll('li').map((li) => li.text());
    expect(alarms).toEqual(['285.632 ms: OOM kill #1: accel-app (pid 1)', expect.stringMatching(/^[\d.]+ ms: OOM kill #2: worker\d \(pid \d+\)$/)]);
    // The index came with openRun: no findEvent, and opening asked for a constant handful of things.
    expect(lab.calls.filter((c) => c.method === 'findEvent')).toHaveLength(0);
  });

  it('numbers the OOM kills once when both the tiles and the index know them', async () => {
    const desc = Object.getOwnPropertyDescriptor(HTMLElement.prototype, 'clientWidth');
    Object.defineProperty(HTMLElement.prototype, 'clientWidth', { configurable: true, get: () => 1224 });
    try {
      wrapper = await mountRun();
      for (let i = 0; i < 10; i++) {
        await wait(10);
        await flushPromises();
      }
    } finally {
      if (desc) Object.defineProperty(HTMLElement.prototype, 'clientWidth', desc);
    }
    const alarms = wrapper.get('ul[aria-label="Alarms on the timeline"]').findAll('li').map((li) => li.text());
    expect(alarms).toHaveLength(2);
    expect(alarms[0]).toMatch(/OOM kill #1: accel-app/);
    expect(alarms[1]).toMatch(/OOM kill #2: worker\d/);
  });

  it('shows the state at the cursor as tables, and the cause chain of a selected event', async () => {
    wrapper = await mountRun();
    // The state and event panels are asked for after the first tiles (the timeline draws first).
    for (let i = 0; i < 20 && wrapper.findAll('.state-panel table').length === 0; i++) {
      await wait(10);
      await flushPromises();
    }
    const tables = wrapper.findAll('.state-panel table').map((t) => t.attributes('aria-label'));
    expect(tables).toEqual(['Tasks', 'mm structs', 'PASID table', 'Devices', 'Queues', 'Locks held or waited for']);
    expect(wrapper.get('.state-panel').text()).toContain('accel-app:2');
    const row = wrapper.findAll('table.events tbody tr')[3];
    await row.trigger('click');
    await flushPromises();
    const chain = wrapper.findAll('.chain li');
    expect(chain.length).toBeGreaterThan(0);
    expect(chain[0].text()).toContain('event');
    expect(wrapper.findAll('.chain button')[0].text()).toMatch(/\(move the cursor to event \d+\)$/);
  });

  it('"Why did this happen?" explains OOM kill #2 down to the DMA stop; a step moves the cursor; Enter explains the event at the cursor', async () => {
    wrapper = await mountRun();
    const store = useRunViewStore();
    const run = lab.runs.find((r) => r.item.model === 'mm_exit')!;
    const kills = run.events.filter((e) => e.kind === KIND.oom_kill);
    expect(kills.length).toBeGreaterThanOrEqual(2);
    store.setCursorEvent({ seq: kills[1].seq, tNs: kills[1].t });
    await wrapper.get('canvas[tabindex="0"]').trigger('keydown', { key: 'Enter' });
    for (let i = 0; i < 3; i++) await flushPromises();
    expect(store.selectedSeq).toBe(kills[1].seq);
    const panel = wrapper.get('section.why');
    const steps = panel.findAll('li.why-step');
    expect(steps[0].text()).toMatch(/OOM kill #2: oom_kill_process killed worker\d/);
    const held = steps.find((li) => li.classes().includes('held_by'))!;
    expect(held.text()).toMatch(/held by.*Memory pinned in mm accel-app:\d+.*exit_mmap is blocked in release\(\)/);
    const stop = steps.find((li) => li.classes().includes('waits_on') && li.text().includes('STOPPED'))!;
    expect(stop.text()).toMatch(/waits on.*dma accel0 q0 went STOPPED/);
    // A step is a link: the cursor goes there, the explanation stays.
    await stop.get('button').trigger('click');
    expect(store.cursor?.seq).not.toBe(kills[1].seq);
    expect(store.cursor?.tNs).toBeGreaterThan(kills[1].t);
    expect(store.selectedSeq).toBe(kills[1].seq);
    expectNamedControls(wrapper);
  });

  it('says what went wrong when the run cannot be opened', async () => {
    wrapper = mount(RunView, { props: { runId: 'gone.sqlite' }, global: { plugins: [pinia] } });
    await flushPromises();
    expect(wrapper.get('[role="alert"]').text()).toContain("The run gone.sqlite could not be opened: There is no run 'gone.sqlite' in the archive.");
  });
});
