// @vitest-environment happy-dom
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { createPinia, setActivePinia, type Pinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { METRIC_DOCS } from '../../../main/sim/metrics';
import { setLab } from '../../../renderer/src/api/lab';
import ArchiveScreen from '../../../renderer/src/components/ArchiveScreen.vue';
import CompareView from '../../../renderer/src/components/CompareView.vue';
import NewRunForm from '../../../renderer/src/components/NewRunForm.vue';
import RunView from '../../../renderer/src/components/RunView.vue';
import { useCompareStore } from '../../../renderer/src/stores/compare';
import { useNavStore } from '../../../renderer/src/stores/nav';
import { usePairStore } from '../../../renderer/src/stores/pair';
import { useRunViewStore } from '../../../renderer/src/stores/runView';
import { createFakeLab, STORY_RUNS, type FakeLab } from '../fakeLab';

let lab: FakeLab;
let pinia: Pinia;
let wrapper: VueWrapper | null = null;
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
const settle = async (n = 5) => {
  for (let i = 0; i < n; i++) {
    await flushPromises();
    await wait(5);
  }
};

beforeEach(() => {
  pinia = createPinia();
  setActivePinia(pinia);
  lab = createFakeLab({ runs: STORY_RUNS });
  setLab(lab);
});
afterEach(() => {
  wrapper?.unmount();
  wrapper = null;
  vi.restoreAllMocks();
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

const idOf = (model: 'mm_exit' | 'quiet') => lab.runs.find((x) => x.item.model === model)?.item.id ?? '';

describe('CompareView', () => {
  it('shows both timelines on one axis and the diff, release() latency first with its definition on hover', async () => {
    wrapper = mount(CompareView, { props: { a: idOf('mm_exit'), b: idOf('quiet') }, global: { plugins: [pinia] }, attachTo: document.body });
    await settle();
    expect(wrapper.get('h2').text()).toMatch(/oom-bound-victim:\s*A mm_exit vs B quiet/);
    expect(wrapper.text()).toContain('same scenario, parameters and seed: only the design differs');
    const panes = wrapper.findAll('section.timeline').map((s) => s.attributes('aria-label'));
    expect(panes).toEqual(['Timeline A: mm_exit', 'Timeline B: quiet']);
    // Each pane says its run's story.
    expect(wrapper.findAll('.pane-facts').map((x) => x.text())).toEqual([
      'release() 60 s · 2 OOM victims (1 innocent) · memory freed 60.053 s after the trigger',
      expect.stringMatching(/^release\(\) [\d.]+ µs · 1 OOM victim · memory freed [\d.]+ ms after the trigger$/),
    ]);
    const rows = wrapper.findAll('table[aria-label="Metric diff"] tbody tr');
    expect(rows[0].text()).toContain('release() latency, max');
    expect(rows[0].text()).toMatch(/60 s.*µs.*−99\.99\d* %/);
    expect(rows[0].attributes('title')).toBe(METRIC_DOCS.releaseLatencyNs);
    const innocent = rows.find((r) => r.text().includes('innocentVictims'));
    // One innocent victim fewer in B: better, in words, not only a colour.
    expect(innocent?.findAll('td').map((td) => td.text())).toEqual(['1', '0', expect.stringMatching(/^−1 ✓ better$/)]);
    expect(innocent?.attributes('title')).toBe(METRIC_DOCS.innocentVictims);
    expectNamedControls(wrapper);
  });

  it('aligns at a chosen kind of event and jumps to the first divergence with its explanation', async () => {
    wrapper = mount(CompareView, { props: { a: idOf('mm_exit'), b: idOf('quiet') }, global: { plugins: [pinia] }, attachTo: document.body });
    await settle();
    const store = useCompareStore();
    await wrapper.get('select[aria-label="Align the runs at"]').setValue('oom_kill');
    await settle();
    expect(store.align).toBe('oom_kill');
    expect(lab.calls.some((c) => c.method === 'findEvent' && c.args[1] === 'oom_kill')).toBe(true);
    await wrapper.findAll('button').find((b) => b.text() === 'Jump to first divergence')!.trigger('click');
    await settle(2);
    const note = wrapper.get('[aria-label="First divergence"]');
    const d = store.diff?.firstDivergence;
    expect(note.text()).toContain(`First divergence at event ${d?.seq}`);
    expect(note.text()).toContain(d?.explanation ?? '??');
    // Both panes' cursors sit on their own event.
    const readouts = wrapper.findAll('section.timeline .cursor-readout').map((x) => x.text());
    expect(readouts[0]).toContain(`event ${d?.a?.seq}`);
    expect(readouts[1]).toContain(`event ${d?.b?.seq}`);
  });

  it('shows the progress of both runs of a pair, then opens the comparison', async () => {
    const slow = createFakeLab({ runs: [], progressSteps: 3, progressEveryMs: 15 });
    setLab(slow);
    const pair = usePairStore();
    slow.onEvent((e) => pair.handleEvent(e));
    const ids = await pair.start({ scenario: 'oom-bound-victim', params: {}, seed: 1 });
    wrapper = mount(CompareView, { props: { a: ids!.a, b: ids!.b }, global: { plugins: [pinia] } });
    await wait(20);
    await flushPromises();
    const progress = wrapper.get('[aria-label="Pair progress"]');
    expect(progress.text()).toContain('mm_exit');
    expect(progress.text()).toContain('quiet');
    expect(progress.findAll('progress')).toHaveLength(2);
    for (let i = 0; i < 30 && !wrapper.find('table[aria-label="Metric diff"]').exists(); i++) await settle(1);
    expect(wrapper.find('[aria-label="Pair progress"]').exists()).toBe(false);
    expect(wrapper.find('table[aria-label="Metric diff"]').exists()).toBe(true);
  });

  it('says so when a run of the pair does not complete', async () => {
    const slow = createFakeLab({ runs: [], progressSteps: 4, progressEveryMs: 10 });
    setLab(slow);
    const pair = usePairStore();
    slow.onEvent((e) => pair.handleEvent(e));
    const ids = await pair.start({ scenario: 'oom-bound-victim', params: {}, seed: 1 });
    wrapper = mount(CompareView, { props: { a: ids!.a, b: ids!.b }, global: { plugins: [pinia] } });
    await flushPromises();
    await wrapper.findAll('button').find((b) => b.text() === 'Cancel both runs')!.trigger('click');
    for (let i = 0; i < 30 && pair.running; i++) await settle(1);
    await flushPromises();
    expect(wrapper.get('[role="alert"]').text()).toMatch(/^The comparison needs both runs complete/);
    expect(wrapper.get('[aria-label="Pair progress"]').text()).toContain('cancelled');
    expect(wrapper.find('table[aria-label="Metric diff"]').exists()).toBe(false);
  });

  it('copies a link to the view', async () => {
    const writes: string[] = [];
    Object.defineProperty(navigator, 'clipboard', { configurable: true, value: { writeText: async (t: string) => void writes.push(t) } });
    wrapper = mount(CompareView, { props: { a: idOf('mm_exit'), b: idOf('quiet') }, global: { plugins: [pinia] } });
    await settle();
    await wrapper.findAll('button').find((b) => b.text() === 'Copy link')!.trigger('click');
    await flushPromises();
    expect(writes).toEqual([window.location.href]);
    expect(wrapper.text()).toContain('Link copied');
  });

  it('keeps the location query on the view and cursor', async () => {
    wrapper = mount(CompareView, { props: { a: idOf('mm_exit'), b: idOf('quiet') }, global: { plugins: [pinia] } });
    await settle();
    await wait(150);
    const nav = useNavStore();
    expect(nav.query).toMatch(/^align=trigger&t=0&from=-?\d+&to=\d+$/);
  });
});

describe('NewRunForm: one-click pair', () => {
  it('asks for the pair with the form as it stands, and not while a field is wrong', async () => {
    wrapper = mount(NewRunForm, { global: { plugins: [pinia] } });
    await flushPromises();
    const pairBtn = () => wrapper!.findAll('button').find((b) => b.text() === 'Compare mm_exit vs quiet')!;
    await wrapper.get('#param-dmaStopMs').setValue('-5');
    await pairBtn().trigger('click');
    await settle(2);
    expect(wrapper.emitted('pair')).toBeUndefined();
    expect(wrapper.text()).toContain('Fix the fields marked above first.');
    await wrapper.get('#param-dmaStopMs').setValue('2500');
    await wrapper.get('#seed').setValue('7');
    await pairBtn().trigger('click');
    await settle(2);
    expect(wrapper.emitted('pair')).toEqual([[{ scenario: 'oom-bound-victim', params: { dmaStopMs: 2500 }, seed: 7 }]]);
  });
});

describe('ArchiveScreen: compare, pair, drop', () => {
  it('compares two ticked runs, the mm_exit one as A', async () => {
    wrapper = mount(ArchiveScreen, { global: { plugins: [pinia] } });
    await flushPromises();
    const boxes = wrapper.findAll('input[type="checkbox"]');
    expect(boxes).toHaveLength(2);
    const btn = () => wrapper!.findAll('button').find((b) => b.text().startsWith('Compare ('))!;
    expect(btn().attributes('disabled')).toBeDefined();
    await wrapper.get(`input[aria-label^="Pick oom-bound-victim (quiet"]`).setValue(true);
    await wrapper.get(`input[aria-label^="Pick oom-bound-victim (mm_exit"]`).setValue(true);
    await wrapper.findAll('button').find((b) => b.text() === 'Compare the two ticked runs')!.trigger('click');
    expect(wrapper.emitted('compare')).toEqual([[idOf('mm_exit'), idOf('quiet')]]);
  });

  it('asks for the pair of a run: its scenario, parameters and seed, without the design', async () => {
    wrapper = mount(ArchiveScreen, { global: { plugins: [pinia] } });
    await flushPromises();
    await wrapper.get(`button[aria-label="Compare mm_exit vs quiet for ${idOf('quiet')}"]`).trigger('click');
    const [req] = wrapper.emitted('pair')![0] as [{ scenario: string; params: Record<string, unknown>; seed: number }];
    expect(req.scenario).toBe('oom-bound-victim');
    expect(req.seed).toBe(1);
    expect(req.params.dmaStopMs).toBe(60000);
    expect('mmExit' in req.params).toBe(false);
  });

  it('imports a dropped file; a bad one gets one clear message and nothing is added', async () => {
    wrapper = mount(ArchiveScreen, { global: { plugins: [pinia] } });
    await flushPromises();
    const file = new File(['not a database at all'], 'junk.sqlite');
    const section = wrapper.get('section.archive');
    await section.trigger('dragover', { dataTransfer: { types: ['Files'], files: [file], dropEffect: 'none' } });
    expect(section.classes()).toContain('dropping');
    await section.trigger('drop', { dataTransfer: { types: ['Files'], files: [file] } });
    await flushPromises();
    await wait(5);
    await flushPromises();
    expect(section.classes()).not.toContain('dropping');
    expect(wrapper.get('[role="status"]').text()).toBe("junk.sqlite was not imported: 'junk.sqlite' is not an SVA Lab trace: it is not an SQLite database.");
    expect(wrapper.findAll('tbody tr')).toHaveLength(2);
    // A drop with no file in it says so.
    await section.trigger('drop', { dataTransfer: { types: [], files: [] } });
    expect(wrapper.get('[role="status"]').text()).toMatch(/^Nothing was imported: drop a trace file/);
  });
});

describe('RunView: replay, verify, annotations, export', () => {
  async function mountRun(): Promise<VueWrapper> {
    const w = mount(RunView, { props: { runId: idOf('mm_exit') }, global: { plugins: [pinia] }, attachTo: document.body });
    await settle();
    return w;
  }

  it('plays the cursor forward and pauses', async () => {
    wrapper = await mountRun();
    const store = useRunViewStore();
    const t0 = store.cursor!.tNs;
    await wrapper.get('select[aria-label="Replay speed"]').setValue('10');
    await wrapper.get('button[aria-label="Play the replay"]').trigger('click');
    for (let i = 0; i < 6; i++) await wait(20);
    expect(store.cursor!.tNs).toBeGreaterThan(t0);
    await wrapper.get('button[aria-label="Pause the replay"]').trigger('click');
    const t1 = store.cursor!.tNs;
    await wait(60);
    expect(store.cursor!.tNs).toBe(t1);
  });

  it('replays event by event', async () => {
    wrapper = await mountRun();
    const store = useRunViewStore();
    const sel = wrapper.get('select[aria-label="Replay speed"]');
    const opt = sel.findAll('option').find((o) => o.text() === 'event by event')!;
    await sel.setValue((opt.element as HTMLOptionElement).value);
    await wrapper.get('button[aria-label="Play the replay"]').trigger('click');
    await settle(2);
    const s1 = store.cursor?.seq ?? 0;
    expect(s1).toBeGreaterThan(0);
    await wait(300);
    await settle(2);
    expect(store.cursor?.seq).toBe(s1 + 1);
    await wrapper.get('button[aria-label="Pause the replay"]').trigger('click');
  });

  it('re-runs and says the digest matches', async () => {
    wrapper = await mountRun();
    await wrapper.findAll('button').find((b) => b.text() === 'Re-run and verify')!.trigger('click');
    await settle(2);
    expect(wrapper.get('[aria-label="Verification"]').text()).toMatch(/^✓ Digest matches: the re-run gave the same [\d,]+ events/);
  });

  it('adds a note at the cursor, lists it, jumps to it and deletes it', async () => {
    wrapper = await mountRun();
    const store = useRunViewStore();
    await store.step(1);
    const at = { ...store.cursor! };
    await wrapper.get('select[aria-label="Kind of annotation"]').setValue('note');
    await wrapper.get('input[aria-label="Annotation text"]').setValue('victim two');
    await wrapper.get('form[aria-label="Add a bookmark or note"]').trigger('submit');
    await settle(2);
    const items = wrapper.findAll('ul[aria-label="Annotations"] li');
    expect(items).toHaveLength(1);
    expect(items[0].text()).toContain('victim two');
    expect(items[0].text()).toContain(`event ${at.seq}`);
    expect(lab.calls.find((c) => c.method === 'addAnnotation')?.args[1]).toEqual({ tNs: at.tNs, seq: at.seq, kind: 'note', text: 'victim two' });
    await store.jumpToEnd('last');
    await items[0].get('button.link').trigger('click');
    await settle(2);
    expect(store.cursor?.seq).toBe(at.seq);
    expectNamedControls(wrapper);
    await wrapper.get(`button[aria-label="Delete note 'victim two'"]`).trigger('click');
    await settle(2);
    expect(wrapper.find('ul[aria-label="Annotations"]').exists()).toBe(false);
  });

  it('exports as a download, and says why an export failed', async () => {
    wrapper = await mountRun();
    const created: string[] = [];
    const clicks: string[] = [];
    vi.spyOn(URL, 'createObjectURL').mockImplementation(() => {
      created.push('blob:x');
      return 'blob:x';
    });
    vi.spyOn(URL, 'revokeObjectURL').mockImplementation(() => undefined);
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicks.push(this.download);
    });
    await wrapper.get('button[aria-label="Export as CSV"]').trigger('click');
    await settle(2);
    expect(clicks).toEqual([idOf('mm_exit').replace(/\.sqlite$/, '.csv')]);
    expect(wrapper.text()).toContain(`Saved ${clicks[0]}.`);
    await wrapper.get('button[aria-label="Export as SQLite"]').trigger('click');
    await settle(2);
    expect(wrapper.text()).toContain('The sqlite export failed: The fake lab keeps runs in memory');
    expect(created).toHaveLength(1);
  });
});
