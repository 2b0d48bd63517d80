// @vitest-environment happy-dom
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { createPinia, setActivePinia, type Pinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { setLab } from '../../../renderer/src/api/lab';
import RunView from '../../../renderer/src/components/RunView.vue';
import { useRunViewStore } from '../../../renderer/src/stores/runView';
import { createFakeLab, type FakeLab } from '../fakeLab';
import { MODEL_VERSION } from '../../../main/sim/run';

let lab: FakeLab;
let pinia: Pinia;
let wrapper: VueWrapper | null = null;
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeEach(() => {
  pinia = createPinia();
  setActivePinia(pinia);
  lab = createFakeLab({ runs: [{ scenario: 'drain-lock-order', params: {}, seed: 1 }] });
  setLab(lab);
});
afterEach(() => {
  wrapper?.unmount();
  wrapper = null;
});

async function settle(): Promise<void> {
  for (let i = 0; i < 6; i++) {
    await flushPromises();
    await wait(5);
  }
}

describe('Kernel log panel', () => {
  it('shows the run\'s dmesg, marks the line the cursor has reached and follows the cursor', async () => {
    const id = lab.runs[0].item.id;
    wrapper = mount(RunView, { props: { runId: id }, global: { plugins: [pinia] }, attachTo: document.body });
    await settle();
    // The run says which model made it (lockdep and call traces came with MODEL_VERSION 4).
    expect(MODEL_VERSION).toBeGreaterThanOrEqual(4);
    expect(wrapper.find('.run-meta').text()).toContain(`model v${MODEL_VERSION}`);
    const panel = wrapper.find('section.kernel-log');
    expect(panel.exists()).toBe(true);
    expect(panel.attributes('aria-labelledby')).toBe('kernel-log-title');
    expect(wrapper.find('#kernel-log-title').text()).toContain('Kernel log');
    const items = panel.findAll('li');
    const texts = items.map((x) => x.text());
    expect(texts).toContain(texts.find((t) => /^\[\s*\d+\.\d{6}\] WARNING: possible circular locking dependency detected$/.test(t)));
    expect(texts.some((t) => t.endsWith('&param->lock --> &param->fault_param->lock --> pasid_mutex'))).toBe(true);

    // The cursor at the start: nothing printed yet, every line dimmed.
    const store = useRunViewStore();
    store.setCursorTime(0);
    await settle();
    expect(panel.findAll('li.current')).toHaveLength(0);
    expect(panel.findAll('li.later')).toHaveLength(items.length);

    // Click the WARNING line: the cursor goes to its event, that line is the current one.
    const warn = panel.findAll('li').find((x) => x.text().includes('WARNING: possible circular'))!;
    await warn.trigger('click');
    await settle();
    const dto = await lab.dmesg(id);
    const w = dto.find((l) => l.text.includes('WARNING: possible circular'))!;
    expect(store.cursor?.seq).toBe(w.seq);
    const cur = panel.find('li.current');
    expect(cur.exists()).toBe(true);
    expect(cur.attributes('aria-current')).toBe('true');
    // Every line of that printk event shares its seq: the current one is the last of them.
    expect(cur.text()).toBe(dto.filter((l) => l.seq <= w.seq).pop()!.text);

    // Keyboard: Enter on a focused line jumps too.
    const last = panel.findAll('li').pop()!;
    await last.trigger('keydown', { key: 'Enter' });
    await settle();
    expect(store.cursor?.seq).toBe(dto[dto.length - 1].seq);
  });

  it('a run that printed nothing says so', async () => {
    lab = createFakeLab({ runs: [{ scenario: 'sigkill-during-dma', params: {}, seed: 1 }] });
    setLab(lab);
    wrapper = mount(RunView, { props: { runId: lab.runs[0].item.id }, global: { plugins: [pinia] }, attachTo: document.body });
    await settle();
    expect(wrapper.find('section.kernel-log').text()).toContain('The kernel printed nothing in this run.');
  });
});
