// @vitest-environment happy-dom
import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { watch } from 'vue';
import type { LabEvent, SweepDefinitionDto } from '../../../main/contract';
import { setLab } from '../../../renderer/src/api/lab';
import { useSweepStore } from '../../../renderer/src/stores/sweep';
import { createFakeLab } from '../fakeLab';
import { withFakeSweeps, type FakeSweepLab } from '../fakeSweeps';

let lab: FakeSweepLab;
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await wait(5);
  }
}

/** The custom grid of the e2e test, smaller: 10 ms and 10 s under both designs. */
const SMALL: SweepDefinitionDto = { scenario: 'oom-bound-victim', vary: [{ key: 'dmaStopMs', values: [10, 10000] }, { key: 'mmExit', values: [true, false] }], seeds: 1 };

beforeEach(() => {
  setActivePinia(createPinia());
  lab = withFakeSweeps(createFakeLab({ runs: [] }), { everyMs: 5 });
  setLab(lab);
});
afterEach(() => vi.restoreAllMocks());

describe('sweep store', () => {
  it('loads the presets with their title, story and plots, and the (empty) list', async () => {
    const s = useSweepStore();
    await s.load();
    expect(s.presets.map((p) => p.name)).toEqual(['innocent-victims', 'iopf-lockups', 'pasid-held']);
    expect(s.presets[0].title).toBe('Innocent OOM victims and time to free memory vs DMA stop time');
    expect(s.presets[0].plots[0]).toMatchObject({ metric: 'innocentVictims', x: 'dmaStopMs', xScale: 'log', series: 'mmExit' });
    expect(s.list).toEqual([]);
    expect(s.error).toBeNull();
  });

  it('starts a sweep, fills points in as runs finish (one fetch at a time) and draws the curve', async () => {
    const s = useSweepStore();
    const off = s.subscribe();
    await s.load();
    const filled: number[] = [];
    watch(
      () => s.plot?.filled,
      (n) => n !== undefined && filled.push(n),
    );
    let inFlight = 0;
    let maxInFlight = 0;
    const get = lab.getSweep.bind(lab);
    lab.getSweep = async (id) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await wait(8); // slower than the runs: progress events pile up while a fetch is out
      try {
        return await get(id);
      } finally {
        inFlight--;
      }
    };
    const events: LabEvent[] = [];
    lab.onEvent((e) => events.push(e));
    const id = await s.start(SMALL);
    expect(id).toMatch(/oom-bound-victim$/);
    expect(s.currentId).toBe(id);
    await until(() => s.current?.status === 'complete');
    await until(() => !s.running && s.plot?.filled === 4);
    expect(maxInFlight).toBe(1);
    expect(events.filter((e) => e.type === 'sweep-progress')).toHaveLength(4);
    // Points appeared one after another, not all at the end.
    expect(filled[0]).toBeLessThan(4);
    expect(filled.at(-1)).toBe(4);
    const plot = s.plot!;
    expect(plot.choice).toMatchObject({ metric: 'innocentVictims', x: 'dmaStopMs', series: 'mmExit', xScale: 'log' });
    const byLabel = Object.fromEntries(plot.series.map((x) => [x.label, x.points.map((p) => p?.mean)]));
    // The seed's argument: mm_exit kills an innocent process once the DMA stop outlasts the retries; quiet never does.
    expect(byLabel.mm_exit[0]).toBe(0);
    expect(byLabel.mm_exit[1]).toBeGreaterThanOrEqual(1);
    expect(byLabel.quiet).toEqual([0, 0]);
    expect(s.progress).toEqual({ done: 4, total: 4 });
    expect(s.notice).toBe(`Sweep ${id} is complete.`);
    await until(() => s.list[0]?.status === 'complete');
    // Every run of the sweep is in the archive under the sweep's name.
    expect(lab.runs.filter((r) => r.item.id.startsWith(`${id}-p`))).toHaveLength(4);
    off();
  });

  it('cancels a running sweep: finished runs are kept, the rest never run', async () => {
    lab = withFakeSweeps(createFakeLab({ runs: [] }), { everyMs: 30 });
    setLab(lab);
    const s = useSweepStore();
    s.subscribe();
    await s.load();
    const preset = s.presets.find((p) => p.name === 'innocent-victims')!;
    await s.start(preset.definition);
    await until(() => (s.current?.done ?? 0) >= 1);
    await s.cancel();
    expect(s.notice).toMatch(/is stopping; finished runs are kept/);
    await until(() => s.current?.status === 'cancelled');
    expect(s.current!.done).toBeLessThan(20);
    expect(s.current!.done).toBeGreaterThanOrEqual(1);
    expect(s.plot!.filled).toBe(s.current!.done);
    expect(s.running).toBe(false);
    // Cancelling again says why not, in one sentence.
    await s.cancel();
    expect(s.error).toMatch(/could not be cancelled: Sweep '.*' is not running; only a running sweep can be cancelled\./);
  });

  it("says why a sweep did not start, in the service's words", async () => {
    const s = useSweepStore();
    const id = await s.start({ scenario: 'oom-bound-victim', vary: [{ key: 'dmaStopMs', values: [-5] }] });
    expect(id).toBeNull();
    expect(s.error).toBe("The sweep did not start: Parameter 'dmaStopMs' of scenario 'oom-bound-victim' must be a number from 0 to 600000 (ms); got '-5'.");
    expect(s.currentId).toBeNull();
  });

  it('changes what is drawn: another metric, x and series swapped, scales', async () => {
    const s = useSweepStore();
    s.subscribe();
    await s.load();
    await s.start(SMALL);
    await until(() => s.current?.status === 'complete');
    await s.fetchCurrent();
    s.setChoice({ metric: 'memoryFreedNs', yScale: 'log' });
    expect(s.plot!.timeMetric).toBe(true);
    expect(s.plot!.yScale).toBe('log');
    // Plotting against mmExit makes dmaStopMs the series (they swap).
    s.setChoice({ x: 'mmExit' });
    expect(s.plot!.choice.x).toBe('mmExit');
    expect(s.plot!.choice.series).toBe('dmaStopMs');
    expect(s.plot!.xScale).toBe('category');
    expect(s.plot!.series.map((x) => x.label)).toEqual(['dmaStopMs=10', 'dmaStopMs=10000']);
  });

  it('exports the sweep table as a CSV download', async () => {
    const s = useSweepStore();
    s.subscribe();
    await s.start(SMALL);
    await until(() => s.current?.status === 'complete');
    const clicks: string[] = [];
    let blob: Blob | null = null;
    vi.spyOn(URL, 'createObjectURL').mockImplementation((b) => {
      blob = b as Blob;
      return 'blob:x';
    });
    vi.spyOn(URL, 'revokeObjectURL').mockImplementation(() => undefined);
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicks.push(this.download);
    });
    await s.exportCsv();
    expect(clicks).toEqual([`${s.currentId}.csv`]);
    const text = await (blob as unknown as Blob).text();
    expect(text.split('\n')[0]).toBe('dmaStopMs,mmExit,runs,innocentVictims,oomVictims,memoryFreedNs,releaseLatencyNs.max,lockups,hungTaskReports');
    expect(s.notice).toBe(`Saved ${s.currentId}.csv.`);
  });
});

describe('sweep store: coming back', () => {
  it('showing the same sweep again refreshes it and keeps what is drawn', async () => {
    setActivePinia(createPinia());
    const l = withFakeSweeps(createFakeLab({ runs: [] }), { everyMs: 5 });
    setLab(l);
    const s = useSweepStore();
    await s.load();
    const id = (await s.start({ scenario: 'oom-bound-victim', vary: [{ key: 'dmaStopMs', values: [10] }, { key: 'mmExit', values: [true, false] }] }))!;
    s.setChoice({ metric: 'memoryFreedNs' });
    // Nobody listens (the view is not mounted): the store's copy falls behind.
    await until(() => l.sweeps.get(id)?.status === 'complete');
    expect(s.current?.status).toBe('running');
    await s.select(id);
    expect(s.current?.status).toBe('complete');
    expect(s.choice?.metric).toBe('memoryFreedNs');
    await s.select(null);
    expect([s.currentId, s.current, s.plot]).toEqual([null, null, null]);
  });
});
