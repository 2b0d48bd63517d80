import { describe, expect, it } from 'vitest';
import type { SweepDto, SweepRunDto } from '../../../main/contract';
import { PRESETS } from '../../../main/lab/sweeps/presets';
import { decades } from '../../../renderer/src/plot/uplotOptions';
import { autoXScale, buildPlot, defaultChoice, formatMetric, formatParam, pointStats, pointTarget, type PlotChoice } from '../../../renderer/src/plot/sweepPlot';

const run = (seed: number, innocent: number | null, id: string, status: SweepRunDto['status'] = 'complete'): SweepRunDto => ({
  seed,
  run: status === 'pending' ? null : id,
  status,
  error: null,
  metrics: status === 'complete' ? { innocentVictims: innocent, memoryFreedNs: innocent === null ? null : 5e7 + innocent * 1e9 } : null,
});

/** dmaStopMs (given out of order) × mmExit, two seeds; mm_exit gets an innocent victim from 1 s on (seed 2 only at 300 ms). */
function fixture(): SweepDto {
  const xs = [1000, 10, 300];
  const points: SweepDto['points'] = [];
  let index = 0;
  for (const x of xs) {
    for (const mmExit of [true, false]) {
      const tag = `p${index}-${mmExit ? 'mm_exit' : 'quiet'}`;
      const v = (seed: number) => (!mmExit ? 0 : x >= 1000 ? 1 : x === 300 && seed === 2 ? 1 : 0);
      points.push({ index, values: { dmaStopMs: x, mmExit }, runs: [run(1, v(1), `${tag}-s1`), run(2, v(2), `${tag}-s2`)] });
      index++;
    }
  }
  return {
    id: 'sw',
    definition: { scenario: 'oom-bound-victim', vary: [{ key: 'dmaStopMs', values: xs }, { key: 'mmExit', values: [true, false] }], set: {}, seeds: 2, metrics: ['innocentVictims', 'memoryFreedNs'], preset: 'innocent-victims' },
    created: '2026-11-24T00:00:00Z',
    finished: null,
    status: 'complete',
    total: 12,
    done: 12,
    points,
    table: [],
  };
}

const choice = (over: Partial<PlotChoice> = {}): PlotChoice => ({ metric: 'innocentVictims', x: 'dmaStopMs', series: 'mmExit', xScale: 'log', yScale: 'linear', fixed: {}, ...over });

describe('buildPlot', () => {
  it('sorts numeric x, makes one series per design with mean and min-max over seeds', () => {
    const m = buildPlot(fixture(), choice());
    expect(m.xs).toEqual([10, 300, 1000]);
    expect(m.xLabels).toEqual(['10 ms', '300 ms', '1 s']);
    expect(m.series.map((s) => [s.label, s.color])).toEqual([
      ['mm_exit', '#ad1457'],
      ['quiet', '#00695c'],
    ]);
    const mm = m.series[0].points;
    expect(mm.map((p) => p?.mean)).toEqual([0, 0.5, 1]);
    expect(mm.map((p) => [p?.min, p?.max])).toEqual([[0, 0], [0, 1], [1, 1]]);
    expect(m.series[1].points.map((p) => p?.mean)).toEqual([0, 0, 0]);
    expect(m.xScale).toBe('log');
    expect(m.filled).toBe(6);
    expect(m.pointCount).toBe(6);
    expect(m.notes).toEqual([]);
  });

  it('leaves unfinished runs out, counts null metrics as "never" and leaves a gap where no run has finished', () => {
    const s = fixture();
    s.status = 'running';
    s.points[0].runs = [run(1, 1, 'a', 'pending'), run(2, 1, 'b', 'running')]; // 1000 ms, mm_exit: nothing yet
    s.points[2].runs = [run(1, null, 'c'), run(2, 0, 'd')]; // 10 ms, mm_exit: one never
    const m = buildPlot(s, choice());
    const at10 = m.series[0].points[0];
    expect([at10?.mean, at10?.n, at10?.nulls, at10?.total]).toEqual([0, 1, 1, 2]);
    expect(m.series[0].points[2]?.mean).toBeNull();
    expect(m.filled).toBe(5);
  });

  it('falls back to linear axes when a log axis would meet values of 0, and says so', () => {
    const s = fixture();
    s.definition.vary[0].values = [0, 10, 300, 1000];
    const m = buildPlot(s, choice({ yScale: 'log' }));
    expect(m.xScale).toBe('linear');
    expect(m.yScale).toBe('linear');
    expect(m.notes).toEqual(['dmaStopMs has values of 0 or less, so its axis is linear, not log.', 'innocentVictims has values of 0, so its axis is linear, not log.']);
    expect(m.xs).toEqual([0, 10, 300, 1000]);
    expect(m.series[0].points[0]).toBeNull(); // no grid point at 0
    // A metric with positive values keeps its log axis.
    expect(buildPlot(fixture(), choice({ metric: 'memoryFreedNs', yScale: 'log' })).yScale).toBe('log');
  });

  it('draws booleans as categories, and holds a third varied parameter at a chosen value', () => {
    const s = fixture();
    s.definition.vary.push({ key: 'iopfPut', values: ['mmput', 'mmput_async'] });
    for (const p of s.points) p.values.iopfPut = 'mmput';
    s.points.push({ index: 6, values: { dmaStopMs: 10, mmExit: true, iopfPut: 'mmput_async' }, runs: [run(1, 7, 'x')] });
    const byDesign = buildPlot(s, choice({ x: 'mmExit', series: null }));
    expect(byDesign.xScale).toBe('category');
    expect(byDesign.xs).toEqual([0, 1]);
    expect(byDesign.xLabels).toEqual(['true', 'false']);
    expect(byDesign.series).toHaveLength(1);
    expect(byDesign.choice.fixed).toEqual({ dmaStopMs: 1000, iopfPut: 'mmput' });
    const other = buildPlot(s, choice({ fixed: { iopfPut: 'mmput_async' } }));
    expect(other.series[0].points.map((p) => p?.mean ?? null)).toEqual([7, null, null]);
  });
});

describe('defaultChoice', () => {
  it("takes the preset's first plot", () => {
    expect(defaultChoice(fixture(), PRESETS as never)).toEqual({ metric: 'innocentVictims', x: 'dmaStopMs', series: 'mmExit', xScale: 'log', yScale: 'linear', fixed: {} });
  });

  it('without a preset: the first metric against the numeric parameter, one line per design', () => {
    const s = fixture();
    s.definition.preset = null;
    s.definition.vary.reverse();
    expect(defaultChoice(s, [])).toEqual({ metric: 'innocentVictims', x: 'dmaStopMs', series: 'mmExit', xScale: 'log', yScale: 'linear', fixed: {} });
    expect(autoXScale([0, 50, 100])).toBe('linear');
    expect(autoXScale(['mmput', 'mmput_async'])).toBe('category');
  });
});

describe('pointTarget', () => {
  it('opens the mm_exit/quiet pair at the grid point (same seed) when the series is the design', () => {
    const s = fixture();
    const m = buildPlot(s, choice());
    const quietAt1s = m.series[1].points[2];
    expect(quietAt1s && pointTarget(s, quietAt1s, 'mmExit')).toEqual({ kind: 'compare', a: 'p0-mm_exit-s1', b: 'p1-quiet-s1', seed: 1 });
    // Seed 1 of the quiet run failed: the pair of seed 2 is opened.
    s.points[1].runs[0].status = 'failed';
    expect(quietAt1s && pointTarget(s, quietAt1s, 'mmExit')).toEqual({ kind: 'compare', a: 'p0-mm_exit-s2', b: 'p1-quiet-s2', seed: 2 });
  });

  it('opens the first finished run otherwise, and nothing before a run has finished', () => {
    const s = fixture();
    const m = buildPlot(s, choice({ x: 'mmExit', series: 'dmaStopMs' }));
    const p = m.series[0].points[0];
    expect(p && pointTarget(s, p, 'dmaStopMs')).toEqual({ kind: 'run', run: 'p2-mm_exit-s1' });
    const fresh = { ...(p as NonNullable<typeof p>), runs: [run(1, 0, 'z', 'pending')] };
    expect(pointTarget(s, fresh, 'dmaStopMs')).toBeNull();
  });
});

describe('formatting', () => {
  it('reads ms parameters and ns metrics in their units, counts as numbers', () => {
    expect(formatParam('dmaStopMs', 300000)).toBe('300 s');
    expect(formatParam('iopfPut', 'mmput')).toBe('mmput');
    expect(formatParam('unbindDelayMs', 0)).toBe('0');
    expect(formatParam('unbindDelayMs', 600)).toBe('600 ms');
    expect(formatMetric('memoryFreedNs', 1_052_538_300)).toBe('1.053 s');
    expect(formatMetric('memoryFreedNs', null)).toBe('never');
    expect(formatMetric('innocentVictims', 0.5)).toBe('0.5');
    expect(formatMetric('releaseLatencyNs.count', 3)).toBe('3');
    expect(pointStats([run(1, 2, 'a'), run(2, 4, 'b'), run(3, 9, 'c', 'failed')], 'innocentVictims')).toEqual({ mean: 3, min: 2, max: 4, n: 2, nulls: 0, total: 3 });
  });
});

describe('decades', () => {
  it('puts a log axis line at each power of ten in range', () => {
    expect(decades(0.05, 300)).toEqual([0.1, 1, 10, 100]);
    expect(decades(1e7, 1e12)).toEqual([1e7, 1e8, 1e9, 1e10, 1e11, 1e12]);
    expect(decades(0, 10)).toEqual([]);
  });
});
