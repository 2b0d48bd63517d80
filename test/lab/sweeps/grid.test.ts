import { describe, expect, it } from 'vitest';
import { UserError } from '../../../main/lab/errors';
import { aggregate, DEFAULT_SWEEP_METRICS, expandGrid, isTimeMetric, METRIC_PATHS, type SweepPointDto, type SweepRunDto } from '../../../main/lab/sweeps/grid';
import { PRESETS } from '../../../main/lab/sweeps/presets';
import { scenarioOrThrow } from '../../../main/sim/run';

const OOM = scenarioOrThrow('oom-bound-victim').params;

describe('expandGrid', () => {
  it('is the cartesian product, the first varied parameter slowest, with parsed values and the fixed ones', () => {
    const g = expandGrid({ scenario: 'oom-bound-victim', vary: [{ key: 'dmaStopMs', values: ['10', 100, '1000'] }, { key: 'mmExit', values: ['true', false] }], set: { lockedMemory: '2048' } }, OOM);
    expect(g.points.map((p) => p.values)).toEqual([
      { dmaStopMs: 10, mmExit: true },
      { dmaStopMs: 10, mmExit: false },
      { dmaStopMs: 100, mmExit: true },
      { dmaStopMs: 100, mmExit: false },
      { dmaStopMs: 1000, mmExit: true },
      { dmaStopMs: 1000, mmExit: false },
    ]);
    expect(g.points.map((p) => p.index)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(g.points[3].params).toEqual({ lockedMemory: 2048, dmaStopMs: 100, mmExit: false });
    expect(g.definition).toEqual({
      scenario: 'oom-bound-victim',
      vary: [{ key: 'dmaStopMs', values: [10, 100, 1000] }, { key: 'mmExit', values: [true, false] }],
      set: { lockedMemory: 2048 },
      seeds: 1,
      metrics: [...DEFAULT_SWEEP_METRICS],
      preset: null,
    });
    expect(g.runs).toEqual(g.points.map((p) => ({ point: p.index, seed: 1 })));
  });

  it('runs every point with seeds 1..N, seed-major (a sweep cut short has whole curves)', () => {
    const g = expandGrid({ scenario: 'oom-bound-victim', vary: [{ key: 'mmExit', values: [true, false] }, { key: 'iopfPut', values: ['mmput', 'mmput_async'] }], seeds: 3 }, OOM);
    expect(g.points).toHaveLength(4);
    expect(g.runs).toHaveLength(12);
    expect(g.runs.slice(0, 5)).toEqual([
      { point: 0, seed: 1 },
      { point: 1, seed: 1 },
      { point: 2, seed: 1 },
      { point: 3, seed: 1 },
      { point: 0, seed: 2 },
    ]);
    expect(new Set(g.runs.map((r) => `${r.point}/${r.seed}`)).size).toBe(12);
    expect(g.points[1].values).toEqual({ mmExit: true, iopfPut: 'mmput_async' });
  });

  it('refuses bad definitions with one sentence naming the parameter and what is valid', () => {
    const bad: [Parameters<typeof expandGrid>[0], RegExp][] = [
      [{ scenario: 'oom-bound-victim', vary: [{ key: 'dmaStopMs', values: ['10', '-1'] }] }, /Parameter 'dmaStopMs' of scenario 'oom-bound-victim' must be a number from 0 to 600000 \(ms\); got '-1'\./],
      [{ scenario: 'oom-bound-victim', vary: [{ key: 'mmExit', values: ['maybe'] }] }, /'mmExit'.*must be true or false; got 'maybe'/],
      [{ scenario: 'oom-bound-victim', vary: [{ key: 'iopfPut', values: ['mmdrop'] }] }, /must be one of mmput, mmput_async; got 'mmdrop'/],
      [{ scenario: 'oom-bound-victim', vary: [{ key: 'bystanders', values: ['1.5'] }] }, /'bystanders'.*must be an integer from 0 to 200/],
      [{ scenario: 'oom-bound-victim', vary: [{ key: 'nope', values: ['1'] }] }, /has no parameter 'nope' \(in --vary\); valid parameters: .*dmaStopMs/],
      [{ scenario: 'oom-bound-victim', vary: [{ key: 'mmExit', values: [true] }], set: { nope: 1 } }, /has no parameter 'nope' \(in --set\)/],
      [{ scenario: 'oom-bound-victim', vary: [] }, /at least one varied parameter/],
      [{ scenario: 'oom-bound-victim', vary: [{ key: 'mmExit', values: [] }] }, /'mmExit' is varied over no values/],
      [{ scenario: 'oom-bound-victim', vary: [{ key: 'mmExit', values: [true] }, { key: 'mmExit', values: [false] }] }, /'mmExit' is varied twice/],
      [{ scenario: 'oom-bound-victim', vary: [{ key: 'mmExit', values: ['true', '1'] }] }, /lists the value 'true' twice/],
      [{ scenario: 'oom-bound-victim', vary: [{ key: 'mmExit', values: [true] }], set: { mmExit: false } }, /'mmExit' is both varied and set/],
      [{ scenario: 'oom-bound-victim', vary: [{ key: 'mmExit', values: [true] }], seeds: 0 }, /seeds must be an integer from 1 to 1000; got '0'/],
      [{ scenario: 'oom-bound-victim', vary: [{ key: 'mmExit', values: [true] }], seeds: 2.5 }, /seeds must be an integer/],
      [{ scenario: 'oom-bound-victim', vary: [{ key: 'mmExit', values: [true] }], metrics: ['releaseLatencyNs.p99'] }, /Metric 'releaseLatencyNs.p99' is not known; valid metrics: .*releaseLatencyNs.max/],
      [{ scenario: 'oom-bound-victim', vary: [{ key: 'mmExit', values: [true] }], metrics: [] }, /at least one metric/],
      [{ scenario: 'oom-bound-victim', vary: [{ key: 'dmaStopMs', values: Array.from({ length: 200 }, (_, i) => i) }, { key: 'mmExit', values: [true, false] }], seeds: 30 }, /would make 12000 runs \(400 grid points × 30 seeds\); at most 10000/],
    ];
    for (const [def, re] of bad) {
      let err: unknown;
      try {
        expandGrid(def, OOM);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(def)).toBeInstanceOf(UserError);
      expect((err as Error).message).toMatch(re);
      expect((err as Error).message.split('\n')).toHaveLength(1);
    }
  });

  it('knows the metric paths, nested ones included, and which are times', () => {
    for (const m of DEFAULT_SWEEP_METRICS) expect(METRIC_PATHS).toContain(m);
    expect(METRIC_PATHS).toContain('pageRequestBranches.mmDefunct');
    expect(METRIC_PATHS).not.toContain('releaseLatencyNs');
    expect(isTimeMetric('memoryFreedNs')).toBe(true);
    expect(isTimeMetric('releaseLatencyNs.max')).toBe(true);
    expect(isTimeMetric('releaseLatencyNs.count')).toBe(false);
    expect(isTimeMetric('innocentVictims')).toBe(false);
  });
});

const run = (seed: number, metrics: Record<string, number | null> | null, status: SweepRunDto['status'] = 'complete'): SweepRunDto => ({ seed, run: `r${seed}.sqlite`, status, error: null, metrics });

describe('aggregate', () => {
  it('gives mean, min and max over the complete runs of each point', () => {
    const points: SweepPointDto[] = [
      { index: 0, values: { mmExit: true }, runs: [run(1, { a: 1, b: 10 }), run(2, { a: 2, b: 10 }), run(3, { a: 6, b: 10 })] },
      { index: 1, values: { mmExit: false }, runs: [run(1, { a: 0, b: -4 })] },
    ];
    const t = aggregate(points, ['a', 'b']);
    expect(t[0]).toEqual({ index: 0, values: { mmExit: true }, runs: 3, complete: 3, stats: { a: { mean: 3, min: 1, max: 6, n: 3, nulls: 0 }, b: { mean: 10, min: 10, max: 10, n: 3, nulls: 0 } } });
    expect(t[1].stats.b).toEqual({ mean: -4, min: -4, max: -4, n: 1, nulls: 0 });
    // Without a metric list: every metric the runs have.
    expect(Object.keys(aggregate(points)[0].stats)).toEqual(['a', 'b']);
  });

  it('counts nulls (never happened) apart and leaves them out of mean/min/max; all null gives null', () => {
    const points: SweepPointDto[] = [
      { index: 0, values: {}, runs: [run(1, { t: null }), run(2, { t: 300 }), run(3, { t: 100 })] },
      { index: 1, values: {}, runs: [run(1, { t: null }), run(2, { t: null })] },
    ];
    const t = aggregate(points, ['t', 'missing']);
    expect(t[0].stats.t).toEqual({ mean: 200, min: 100, max: 300, n: 2, nulls: 1 });
    expect(t[1].stats.t).toEqual({ mean: null, min: null, max: null, n: 0, nulls: 2 });
    // A metric a run does not have counts as null, not as 0.
    expect(t[0].stats.missing).toEqual({ mean: null, min: null, max: null, n: 0, nulls: 3 });
  });

  it('leaves out pending, running, cancelled and failed runs: their metrics describe a run cut short', () => {
    const points: SweepPointDto[] = [
      {
        index: 0,
        values: {},
        runs: [run(1, { a: 4 }), run(2, { a: 100 }, 'cancelled'), run(3, { a: 100 }, 'failed'), { seed: 4, run: null, status: 'pending', error: null, metrics: null }, run(5, null, 'running')],
      },
      { index: 1, values: {}, runs: [{ seed: 1, run: null, status: 'pending', error: null, metrics: null }] },
    ];
    const t = aggregate(points, ['a']);
    expect(t[0]).toMatchObject({ runs: 5, complete: 1, stats: { a: { mean: 4, min: 4, max: 4, n: 1, nulls: 0 } } });
    expect(t[1]).toMatchObject({ runs: 1, complete: 0, stats: { a: { mean: null, min: null, max: null, n: 0, nulls: 0 } } });
  });
});

describe('presets', () => {
  it('are valid sweeps whose plots name their own metrics and varied parameters', () => {
    expect(PRESETS.map((p) => p.name)).toEqual(['innocent-victims', 'iopf-lockups', 'pasid-held']);
    for (const p of PRESETS) {
      const g = expandGrid(p.definition, scenarioOrThrow(p.definition.scenario).params);
      expect(g.definition.preset).toBe(p.name);
      const keys = g.definition.vary.map((v) => v.key);
      for (const pl of p.plots) {
        expect(g.definition.metrics).toContain(pl.metric);
        expect(keys).toContain(pl.x);
        expect(keys).toContain(pl.series);
        const xv = g.definition.vary.find((v) => v.key === pl.x)?.values ?? [];
        expect(pl.xScale === 'category').toBe(typeof xv[0] !== 'number');
        if (pl.xScale === 'log') expect(Math.min(...(xv as number[]))).toBeGreaterThan(0);
      }
      // Modest run counts: a preset is something to try, not a batch job.
      expect(g.runs.length).toBeLessThanOrEqual(20);
    }
  });
});

