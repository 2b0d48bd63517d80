/**
 * Sweeps for the fake LabApi (test/renderer/fakeLab.ts): the real presets, grid expansion and
 * aggregation (main/lab/presets, main/lab/sweep_grid) over runs recorded in memory by the real
 * simulator, one run per tick, with the `sweep-progress` / `sweep-finished` events the service sends.
 * Each run joins the fake archive under the service's naming (names.ts `sweepRunFileName`), so
 * opening or comparing a point works as in the app.
 */
import type { SweepDefinitionDto, SweepDto, SweepListItemDto, SweepPresetDto, SweepStatus } from '../../main/contract';
import { sweepRunFileName } from '../../main/lab/names';
import { PRESETS } from '../../main/lab/sweeps/presets';
import { aggregate, expandGrid, flattenMetrics } from '../../main/lab/sweeps/grid';
import { designOf } from '../../main/sim/design';
import { SCENARIOS } from '../../main/sim/scenarios/index';
import { recordRun, type FakeLab } from './fakeLab';

export interface FakeSweepOptions {
  /** Milliseconds between two runs finishing (default 5). */
  everyMs?: number;
}

export interface FakeSweepLab extends FakeLab {
  /** The fake's sweeps by id, as `getSweep` answers them. */
  sweeps: Map<string, SweepDto>;
}

/** Give `lab` working sweep methods (it is changed in place and returned). */
export function withFakeSweeps(lab: FakeLab, opts: FakeSweepOptions = {}): FakeSweepLab {
  const sweeps = new Map<string, SweepDto>();
  const cancelled = new Set<string>();
  let counter = 0;
  const every = opts.everyMs ?? 5;

  const answer = <T>(method: string, args: unknown[], fn: () => T): Promise<T> => {
    lab.calls.push({ method, args });
    return new Promise<T>((resolve, reject) =>
      queueMicrotask(() => {
        try {
          resolve(fn());
        } catch (e) {
          reject(e instanceof Error ? e : new Error(String(e)));
        }
      }),
    );
  };
  const find = (id: string): SweepDto => {
    const s = sweeps.get(id);
    if (!s) throw new Error(`There is no sweep '${id}'.`);
    return s;
  };
  const withTable = (s: SweepDto): SweepDto => structuredClone({ ...s, table: aggregate(s.points, s.definition.metrics) });

  const start = (def: SweepDefinitionDto): { sweepId: string; total: number } => {
    const sc = SCENARIOS.find((x) => x.id === def.scenario);
    if (!sc) throw new Error(`Unknown scenario '${def.scenario}'.`);
    const grid = expandGrid(def, sc.params);
    const id = `20261124-0000${String(counter++).padStart(2, '0')}-${def.preset ?? def.scenario}`;
    const sweep: SweepDto = {
      id,
      definition: grid.definition,
      created: `2026-11-24T00:00:${String(counter).padStart(2, '0')}Z`,
      finished: null,
      status: 'running',
      total: grid.runs.length,
      done: 0,
      points: grid.points.map((p) => ({ index: p.index, values: p.values, runs: grid.runs.filter((r) => r.point === p.index).map((r) => ({ seed: r.seed, run: null, status: 'pending' as const, error: null, metrics: null })) })),
      table: [],
    };
    sweeps.set(id, sweep);
    let i = 0;
    const finish = (status: SweepStatus) => {
      sweep.status = status;
      sweep.finished = '2026-11-24T00:01:00Z';
      lab.emit({ type: 'sweep-finished', sweepId: id, status });
    };
    const tick = () => {
      if (cancelled.has(id)) return finish('cancelled');
      const job = grid.runs[i++];
      if (!job) return finish('complete');
      const point = grid.points[job.point];
      const run = recordRun({ scenario: def.scenario, params: point.params, seed: job.seed }, sweep.created);
      const runId = sweepRunFileName(id, point.index, grid.points.length, designOf(run.info.summary.params), job.seed);
      run.item.id = runId;
      run.info.id = runId;
      lab.runs.unshift(run);
      const slot = sweep.points[point.index].runs.find((r) => r.seed === job.seed);
      if (slot) Object.assign(slot, { run: runId, status: 'complete', metrics: flattenMetrics(run.info.summary.metrics) });
      sweep.done++;
      lab.emit({ type: 'sweep-progress', sweepId: id, done: sweep.done, total: sweep.total, point: point.index, run: runId, status: 'complete' });
      setTimeout(tick, every);
    };
    setTimeout(tick, every);
    return { sweepId: id, total: sweep.total };
  };

  const extra: Pick<FakeSweepLab, 'sweeps' | 'sweepPresets' | 'listSweeps' | 'startSweep' | 'getSweep' | 'cancelSweep' | 'sweepCsv'> = {
    sweeps,
    sweepPresets: () => answer('sweepPresets', [], () => structuredClone(PRESETS) as unknown as SweepPresetDto[]),
    listSweeps: () =>
      answer('listSweeps', [], () =>
        [...sweeps.values()].reverse().map((s): SweepListItemDto => ({
          id: s.id,
          scenario: s.definition.scenario,
          preset: s.definition.preset,
          vary: structuredClone(s.definition.vary),
          seeds: s.definition.seeds,
          status: s.status,
          created: s.created,
          finished: s.finished,
          total: s.total,
          done: s.done,
        })),
      ),
    startSweep: (def) => answer('startSweep', [def], () => start(def)),
    getSweep: (id) => answer('getSweep', [id], () => withTable(find(id))),
    cancelSweep: (id) =>
      answer('cancelSweep', [id], () => {
        if (find(id).status !== 'running') throw new Error(`Sweep '${id}' is not running; only a running sweep can be cancelled.`);
        cancelled.add(id);
      }),
    sweepCsv: (id) =>
      answer('sweepCsv', [id], () => {
        const s = withTable(find(id));
        const keys = s.definition.vary.map((v) => v.key);
        const lines = [[...keys, 'runs', ...s.definition.metrics].join(','), ...s.table.map((t) => [...keys.map((k) => String(t.values[k])), t.complete, ...s.definition.metrics.map((m) => t.stats[m]?.mean ?? '')].join(','))];
        return { name: `${id}.csv`, mime: 'text/csv', bytesBase64: btoa(lines.join('\n')) };
      }),
  };
  return Object.assign(lab, extra);
}
