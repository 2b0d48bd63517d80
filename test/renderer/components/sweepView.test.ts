// @vitest-environment happy-dom
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { createPinia, setActivePinia, type Pinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type uPlot from 'uplot';
import { setLab } from '../../../renderer/src/api/lab';
import SweepView from '../../../renderer/src/components/SweepView.vue';
import { useNavStore } from '../../../renderer/src/stores/nav';
import { useSweepStore } from '../../../renderer/src/stores/sweep';
import { createFakeLab } from '../fakeLab';
import { withFakeSweeps, type FakeSweepLab } from '../fakeSweeps';

/** uPlot stand-in (happy-dom has no 2D canvas): records what the chart was given, maps values to pixels simply. */
const fake = vi.hoisted(() => {
  interface Chart {
    opts: uPlot.Options;
    data: uPlot.AlignedData;
    over: HTMLDivElement;
    ctx: { canvas: HTMLCanvasElement };
    series: { show: boolean }[];
    cursor: { idx: number | null; left: number; top: number };
    width: number;
    destroyed: boolean;
    setDataCalls: number;
    setCursor(c: { left: number; top: number }): void;
  }
  const charts: Chart[] = [];
  class FakeUPlot implements Chart {
    opts: uPlot.Options;
    data: uPlot.AlignedData;
    over: HTMLDivElement;
    ctx: { canvas: HTMLCanvasElement };
    series: { show: boolean }[];
    cursor = { idx: null as number | null, left: -1, top: -1 };
    width: number;
    destroyed = false;
    setDataCalls = 0;
    constructor(opts: uPlot.Options, data: uPlot.AlignedData, host: HTMLElement) {
      this.opts = opts;
      this.data = data;
      this.width = opts.width;
      this.over = document.createElement('div');
      this.over.className = 'u-over';
      host.appendChild(this.over);
      this.ctx = { canvas: document.createElement('canvas') };
      this.series = opts.series.map(() => ({ show: true }));
      charts.push(this);
    }
    setData(d: uPlot.AlignedData) {
      this.data = d;
      this.setDataCalls++;
    }
    setSize() {}
    /** x: 100 px per x index; y: 100 px per unit, 0 at 300. */
    valToPos(v: number, scale: string) {
      return scale === 'x' ? (this.data[0] as number[]).indexOf(v) * 100 + 50 : 300 - v * 100;
    }
    setCursor(c: { left: number; top: number }) {
      this.cursor = { left: c.left, top: c.top, idx: Math.round((c.left - 50) / 100) };
      for (const h of this.opts.hooks?.setCursor ?? []) h?.(this as unknown as uPlot);
    }
    destroy() {
      this.destroyed = true;
    }
  }
  return { charts, FakeUPlot };
});
vi.mock('uplot', () => ({ default: fake.FakeUPlot }));

let lab: FakeSweepLab;
let pinia: Pinia;
let wrapper: VueWrapper | null = null;
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await flushPromises();
    await wait(5);
  }
  await flushPromises();
}

beforeEach(() => {
  fake.charts.length = 0;
  pinia = createPinia();
  setActivePinia(pinia);
  lab = withFakeSweeps(createFakeLab({ runs: [] }), { everyMs: 5 });
  setLab(lab);
});
afterEach(() => {
  wrapper?.unmount();
  wrapper = null;
  vi.restoreAllMocks();
});

/** Mount the view and run the custom grid of the e2e test through its form; the view follows the sweep it started. */
async function runCustom(values = '10,1000,10000'): Promise<VueWrapper> {
  const w = mount(SweepView, { props: { sweepId: null }, global: { plugins: [pinia] }, attachTo: document.body });
  wrapper = w;
  await until(() => w.findAll('.sweep-preset').length === 3 && w.findAll('#sweep-scenario option').length > 0);
  const form = w.get('form[aria-label="Custom sweep"]');
  await form.get('#sweep-scenario').setValue('oom-bound-victim');
  await form.get('select[aria-label="Parameter 1 to vary"]').setValue('dmaStopMs');
  await form.get('input[aria-label="Values of parameter 1, separated by commas"]').setValue(values);
  await form.get('select[aria-label="Parameter 2 to vary"]').setValue('mmExit');
  await form.get('input[aria-label="Values of parameter 2, separated by commas"]').setValue('true,false');
  await form.trigger('submit');
  await until(() => (w.emitted('select')?.length ?? 0) > 0);
  const id = w.emitted('select')?.[0]?.[0] as string;
  await w.setProps({ sweepId: id });
  return w;
}

const rows = (w: VueWrapper) =>
  w.findAll('table.sweep-points tbody tr').map((r) => ({ series: r.attributes('data-series'), x: r.attributes('data-x'), mean: r.attributes('data-mean') }));

describe('SweepView', () => {
  it('lists the presets with title and story, and refuses a bad custom value with one sentence', async () => {
    wrapper = mount(SweepView, { props: { sweepId: null }, global: { plugins: [pinia] }, attachTo: document.body });
    await until(() => wrapper!.findAll('.sweep-preset').length === 3);
    const first = wrapper.get('.sweep-preset');
    expect(first.get('.sweep-preset-title').text()).toBe('Innocent OOM victims and time to free memory vs DMA stop time');
    expect(first.text()).toContain('release() waits for the device to stop');
    expect(first.text()).toContain('oom-bound-victim · dmaStopMs × 10, mmExit × 2 · 20 runs');
    expect(first.get('button').attributes('aria-label')).toBe('Run this sweep: Innocent OOM victims and time to free memory vs DMA stop time');
    expect(wrapper.text()).toContain('No sweep recorded yet');
    await until(() => wrapper!.findAll('#sweep-scenario option').length > 0);
    await wrapper.get('input[aria-label="Values of parameter 1, separated by commas"]').setValue('10,-1');
    await wrapper.get('form[aria-label="Custom sweep"]').trigger('submit');
    expect(wrapper.get('form[aria-label="Custom sweep"] [role="alert"]').text()).toBe("dmaStopMs must be a number from 0 to 600000 (ms); '-1' is not.");
    expect(lab.calls.some((c) => c.method === 'startSweep')).toBe(false);
  });

  it('runs a custom sweep: progress, points filling in (new data, same chart), then the curve in the plot and its table', async () => {
    const w = await runCustom();
    await until(() => w.find('.sweep-status').exists());
    expect(w.get('.sweep-status').text()).toMatch(/running|complete/);
    await until(() => w.get('.sweep-status').text().includes('complete'));
    await until(() => rows(w).every((r) => r.mean !== ''));
    expect(w.get('.sweep-status').text()).toContain('6 / 6 runs (100 %)');
    expect(w.find('.sweep-status button.danger').exists()).toBe(false); // nothing left to cancel
    expect(w.get('figcaption').text()).toContain('innocentVictims vs dmaStopMs, one line per design (mm_exit, quiet)');
    // The table: the plot's text alternative.
    const r = rows(w);
    const mean = (series: string, x: number) => Number(r.find((p) => p.series === series && p.x === String(x))?.mean);
    expect(r).toHaveLength(6);
    expect(mean('mm_exit', 10)).toBe(0);
    expect(mean('mm_exit', 1000)).toBeGreaterThanOrEqual(1);
    expect(mean('mm_exit', 10000)).toBeGreaterThanOrEqual(1);
    expect([10, 1000, 10000].map((x) => mean('quiet', x))).toEqual([0, 0, 0]);
    // The chart: one uPlot, given new data as runs finished rather than rebuilt; log x, one series per design.
    const live = fake.charts.filter((c) => !c.destroyed);
    expect(live).toHaveLength(1);
    const chart = live[0];
    expect(chart.setDataCalls).toBeGreaterThan(0);
    expect(chart.data[0]).toEqual([10, 1000, 10000]);
    expect(chart.data[1]).toEqual([0, mean('mm_exit', 1000), mean('mm_exit', 10000)]);
    expect(chart.data[2]).toEqual([0, 0, 0]);
    expect(chart.opts.scales?.x?.distr).toBe(3);
    expect(chart.opts.series.slice(1).map((s) => [s.label, s.stroke])).toEqual([
      ['mm_exit', '#ad1457'],
      ['quiet', '#00695c'],
    ]);
    const points = JSON.parse(w.get('.sweep-plot').attributes('data-points') ?? '[]') as { series: string; x: number; mean: number }[];
    expect(points.filter((p) => p.series === 'quiet').map((p) => p.mean)).toEqual([0, 0, 0]);
  });

  it('hovering a point shows its runs; clicking it, Enter on it, or its table button opens the mm_exit/quiet pair', async () => {
    const w = await runCustom();
    await until(() => w.get('.sweep-status').text().includes('complete') && rows(w).every((r) => r.mean !== ''));
    const chart = fake.charts.filter((c) => !c.destroyed)[0];
    const sweep = useSweepStore().current!;
    const runAt = (x: number, mmExit: boolean) => sweep.points.find((p) => p.values.dmaStopMs === x && p.values.mmExit === mmExit)?.runs[0].run;
    // Over mm_exit at 10 s (x index 2, y 1).
    chart.setCursor({ left: 250, top: 200 });
    await flushPromises();
    const tip = w.get('[role="tooltip"]');
    expect(tip.text()).toContain('mm_exit at 10 s:');
    expect(tip.text()).toContain('seed 1');
    expect(tip.text()).toContain(runAt(10000, true));
    expect(tip.text()).not.toContain('quiet at');
    expect(tip.text()).toContain('Click to compare mm_exit and quiet here');
    chart.over.dispatchEvent(new MouseEvent('click'));
    expect(w.emitted('compare')?.[0]).toEqual([runAt(10000, true), runAt(10000, false)]);
    // Where both designs are at 0 (10 ms), both points are listed.
    chart.setCursor({ left: 50, top: 300 });
    await flushPromises();
    expect(w.get('[role="tooltip"]').text()).toMatch(/mm_exit at 10 ms[\s\S]*quiet at 10 ms/);
    // Keyboard on the plot: End (10 s), ArrowDown (to quiet), Enter.
    await w.get('.sweep-plot').trigger('keydown', { key: 'End' });
    await w.get('.sweep-plot').trigger('keydown', { key: 'ArrowDown' });
    await w.get('.sweep-plot').trigger('keydown', { key: 'Enter' });
    expect(w.emitted('compare')?.[1]).toEqual([runAt(10000, true), runAt(10000, false)]);
    // The table's button for quiet at 1 s.
    await w.get('button[aria-label="Open quiet at dmaStopMs 1 s"]').trigger('click');
    expect(w.emitted('compare')?.[2]).toEqual([runAt(1000, true), runAt(1000, false)]);
  });

  it('with another series parameter, a click opens the run; the controls redraw the chart', async () => {
    const w = await runCustom('10,10000');
    await until(() => w.get('.sweep-status').text().includes('complete') && rows(w).every((r) => r.mean !== ''));
    await w.get('form[aria-label="What to plot"] select').setValue('memoryFreedNs');
    await flushPromises();
    expect(w.get('figcaption').text()).toContain('memoryFreedNs vs dmaStopMs');
    expect(w.findAll('table.sweep-points tbody td').map((td) => td.text()).join(' ')).toMatch(/\d+(\.\d+)? (ms|s)\b/);
    const selects = w.findAll('form[aria-label="What to plot"] select');
    await selects[1].setValue('mmExit'); // against mmExit: dmaStopMs becomes the series
    await flushPromises();
    const chart = fake.charts.filter((c) => !c.destroyed).at(-1)!;
    expect(chart.opts.series.slice(1).map((s) => s.label)).toEqual(['dmaStopMs=10', 'dmaStopMs=10000']);
    expect(chart.data[0]).toEqual([0, 1]);
    await w.get('button[aria-label="Open dmaStopMs=10 at mmExit true"]').trigger('click');
    const sweep = useSweepStore().current!;
    expect(w.emitted('open-run')?.[0]).toEqual([sweep.points.find((p) => p.values.dmaStopMs === 10 && p.values.mmExit === true)?.runs[0].run]);
  });

  it('exports the plot as a PNG with its title and legend, and the table as CSV', async () => {
    const w = await runCustom('10,10000');
    await until(() => w.get('.sweep-status').text().includes('complete') && rows(w).every((r) => r.mean !== ''));
    const texts: string[] = [];
    const ctx = new Proxy({} as Record<string | symbol, unknown>, {
      get: (t, k) => (k === 'fillText' ? (s: string) => texts.push(s) : k === 'measureText' ? () => ({ width: 40 }) : k in t ? t[k] : () => undefined),
      set: (t, k, v) => ((t[k] = v), true),
    });
    vi.spyOn(HTMLCanvasElement.prototype, 'getContext').mockImplementation(() => ctx as unknown as CanvasRenderingContext2D);
    vi.spyOn(HTMLCanvasElement.prototype, 'toDataURL').mockImplementation(() => 'data:image/png;base64,iVBORw0KGgo=');
    vi.spyOn(URL, 'createObjectURL').mockImplementation(() => 'blob:x');
    vi.spyOn(URL, 'revokeObjectURL').mockImplementation(() => undefined);
    const clicks: string[] = [];
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicks.push(this.download);
    });
    const id = useSweepStore().currentId;
    await w.get('button[aria-label="Export the plot as PNG"]').trigger('click');
    await w.get('button[aria-label="Export the sweep table as CSV"]').trigger('click');
    await flushPromises();
    expect(clicks).toEqual([`${id}-innocentVictims-vs-dmaStopMs.png`, `${id}.csv`]);
    expect(texts).toEqual(['oom-bound-victim: dmaStopMs × mmExit', 'innocentVictims vs dmaStopMs, one line per design (mm_exit, quiet)', 'mm_exit', 'quiet']);
  });

  it('a sweep in progress can be cancelled from the view', async () => {
    lab = withFakeSweeps(createFakeLab({ runs: [] }), { everyMs: 40 });
    setLab(lab);
    const w = await runCustom();
    await until(() => w.find('.sweep-status button.danger').exists());
    await w.get('.sweep-status button.danger').trigger('click');
    await until(() => w.get('.sweep-status').text().includes('cancelled'));
    expect(w.text()).toMatch(/Sweep .* was cancelled\./);
    expect(rows(w).some((r) => r.mean === '')).toBe(true);
  });
});

describe('nav: the sweeps route', () => {
  it('reads and writes #/sweeps and #/sweeps/<id>', () => {
    const nav = useNavStore();
    nav.fromHash('#/sweeps/20261124-000000-innocent-victims');
    expect([nav.screen, nav.sweepId]).toEqual(['sweeps', '20261124-000000-innocent-victims']);
    expect(nav.hash()).toBe('#/sweeps/20261124-000000-innocent-victims');
    nav.fromHash('#/sweeps');
    expect([nav.screen, nav.sweepId]).toEqual(['sweeps', null]);
    expect(nav.hash()).toBe('#/sweeps');
    nav.goSweep('x');
    expect(nav.location()).toBe('#/sweeps/x');
  });
});
