import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { fmtStats, sweepDefinition } from '../../main/cli/commands/sweep';
import type { SweepListItem, SweepResult } from '../../main/lab/sweeps/service';
import { tempDir } from '../trace/helpers';

const home = tempDir('sva-cli-sweep-');
const BIN = path.resolve('bin/sva-lab.mjs');

function lab(args: string[], env: Record<string, string> = {}): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, SVA_LAB_HOME: home, ...env }, timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function json<T>(args: string[]): T {
  const r = lab([...args, '--json']);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout.trim().split('\n')).toHaveLength(1);
  return JSON.parse(r.stdout) as T;
}

const GRID = ['sweep', 'oom-bound-victim', '--vary', 'dmaStopMs=20,400', '--vary', 'mmExit=true,false', '--seeds', '2', '--metrics', 'innocentVictims,memoryFreedNs,releaseLatencyNs.max', '--jobs', '2'];
let sweep: SweepResult;

beforeAll(() => {
  sweep = json<SweepResult>(GRID);
});

describe('sva-lab sweep', () => {
  it('runs the 2×2 grid × 2 seeds, each run a recorded trace, and its JSON table agrees with the recorded runs', () => {
    expect(sweep.status).toBe('complete');
    expect(sweep.total).toBe(8);
    expect(sweep.done).toBe(8);
    expect(sweep.table.map((p) => p.values)).toEqual([
      { dmaStopMs: 20, mmExit: true },
      { dmaStopMs: 20, mmExit: false },
      { dmaStopMs: 400, mmExit: true },
      { dmaStopMs: 400, mmExit: false },
    ]);
    for (const [i, p] of sweep.points.entries()) {
      expect(p.runs.map((r) => r.seed)).toEqual([1, 2]);
      // Each run, read back from its trace by `summary`, is what the table aggregates.
      const recorded = p.runs.map((r) => {
        expect(r.status).toBe('complete');
        const s = json<{ trace: string; seed: number; params: Record<string, unknown>; metrics: { innocentVictims: number; memoryFreedNs: number | null; releaseLatencyNs: { max: number | null } } }>(['summary', path.join(home, r.run as string)]);
        expect(s.seed).toBe(r.seed);
        expect(s.params).toMatchObject(p.values);
        return s.metrics;
      });
      const t = sweep.table[i].stats;
      const iv = recorded.map((m) => m.innocentVictims);
      expect(t.innocentVictims).toEqual({ mean: (iv[0] + iv[1]) / 2, min: Math.min(...iv), max: Math.max(...iv), n: 2, nulls: 0 });
      const freed = recorded.map((m) => m.memoryFreedNs as number);
      expect(t.memoryFreedNs).toMatchObject({ mean: (freed[0] + freed[1]) / 2, min: Math.min(...freed), max: Math.max(...freed) });
      expect(t['releaseLatencyNs.max'].max).toBe(Math.max(...recorded.map((m) => m.releaseLatencyNs.max as number)));
    }
    // The seed's argument: mm_exit with a 400 ms device stop costs an innocent victim; quiet never does.
    expect(sweep.table.map((p) => p.stats.innocentVictims.mean)).toEqual([0, 0, 1, 0]);
  });

  it('prints the table for humans, lists the sweep, shows it again and writes its CSV', () => {
    const list = json<{ sweeps: SweepListItem[] }>(['sweeps']);
    expect(list.sweeps.map((s) => [s.id, s.status, s.done, s.total])).toContainEqual([sweep.id, 'complete', 8, 8]);
    expect(lab(['sweeps']).stdout).toMatch(new RegExp(`${sweep.id}\\s+oom-bound-victim\\s+complete\\s+8/8\\s+dmaStopMs=20,400 mmExit=true,false × seeds 1..2`));
    const csv = path.join(tempDir(), 'sweep.csv');
    const show = lab(['sweep-show', sweep.id, '--csv', csv]);
    expect(show.code, show.stderr).toBe(0);
    const rows = show.stdout.split('\n').filter((l) => /^\d/.test(l));
    expect(rows).toHaveLength(4);
    expect(rows[2]).toMatch(/^400\s+true\s+2\/2\s+1\s+/);
    expect(rows[3]).toMatch(/^400\s+false\s+2\/2\s+0\s+59\.8 ms/);
    const lines = fs.readFileSync(csv, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('dmaStopMs,mmExit,runs,complete,innocentVictims.mean,innocentVictims.min,innocentVictims.max,memoryFreedNs.mean,memoryFreedNs.min,memoryFreedNs.max,releaseLatencyNs.max.mean,releaseLatencyNs.max.min,releaseLatencyNs.max.max');
    expect(lines.slice(1).map((l) => l.split(',').slice(0, 7).join(','))).toEqual(['20,true,2,2,0,0,0', '20,false,2,2,0,0,0', '400,true,2,2,1,1,1', '400,false,2,2,0,0,0']);
    const again = json<SweepResult>(['sweep-show', sweep.id]);
    expect(again.table).toEqual(sweep.table);
  });

  it('refuses bad input with one sentence naming the parameter and the valid range, exit 2, and writes nothing', () => {
    const before = fs.readdirSync(path.join(home, 'sweeps'));
    for (const [args, re] of [
      [['sweep', 'oom-bound-victim', '--vary', 'dmaStopMs=10,999999'], /Parameter 'dmaStopMs' of scenario 'oom-bound-victim' must be a number from 0 to 600000 \(ms\); got '999999'\./],
      [['sweep', 'nope', '--vary', 'mmExit=true'], /Unknown scenario 'nope'; valid scenarios: oom-bound-victim/],
      [['sweep', 'oom-bound-victim', '--vary', 'dmaStopMs'], /--vary takes key=v1,v2/],
      [['sweep', 'oom-bound-victim', '--vary', 'mmExit=true', '--metrics', 'victims'], /Metric 'victims' is not known/],
      [['sweep', 'oom-bound-victim', '--vary', 'mmExit=true', '--seeds', 'two'], /--seeds must be an integer/],
      [['sweep', '--preset', 'nope'], /Unknown preset 'nope'; valid presets: innocent-victims, iopf-lockups, pasid-held/],
      [['sweep', 'pasid-lifetime', '--preset', 'innocent-victims'], /sweeps scenario 'oom-bound-victim', not 'pasid-lifetime'/],
      [['sweep-show', 'nope'], /There is no sweep 'nope'/],
    ] as [string[], RegExp][]) {
      const r = lab(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(re);
    }
    expect(fs.readdirSync(path.join(home, 'sweeps'))).toEqual(before);
  });

  it('lists the presets with what to plot', () => {
    const p = json<{ presets: { name: string; plots: { metric: string; x: string; series: string; xScale: string }[] }[] }>(['presets']);
    expect(p.presets.map((x) => [x.name, x.plots[0].metric, x.plots[0].x, x.plots[0].series, x.plots[0].xScale])).toEqual([
      ['innocent-victims', 'innocentVictims', 'dmaStopMs', 'mmExit', 'log'],
      ['iopf-lockups', 'lockups', 'iopfPut', 'mmExit', 'category'],
      ['pasid-held', 'pasidsHeldByDeadMmsPeak', 'unbindDelayMs', 'pasidPerMm', 'linear'],
    ]);
  });

  it('Ctrl-C stops the sweep: exit 130, finished runs kept, the sweep marked cancelled', async () => {
    const h = tempDir('sva-cli-sweep-int-');
    const child = spawn(process.execPath, [BIN, 'sweep', 'iopf-last-mmput', '--vary', 'iopfPut=mmput,mmput_async', '--vary', 'mmExit=true,false', '--jobs', '1', '--json'], {
      env: { ...process.env, SVA_LAB_HOME: h },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // Wait until the first run has finished (the manifest says so), then interrupt.
    const dir = path.join(h, 'sweeps');
    const deadline = Date.now() + 60_000;
    for (;;) {
      const f = fs.existsSync(dir) ? fs.readdirSync(dir).find((x) => x.endsWith('.json')) : undefined;
      if (f) {
        try {
          if ((JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as { done: number }).done >= 1) break;
        } catch {
          // Between the exclusive create and the first write the file is empty.
        }
      }
      if (Date.now() > deadline) throw new Error('the sweep never finished a run');
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    const r = JSON.parse(stdout) as SweepResult;
    expect(r.status).toBe('cancelled');
    const statuses = r.points.map((p) => p.runs[0].status);
    expect(statuses[0]).toBe('complete');
    expect(statuses.filter((s) => s === 'pending').length).toBeGreaterThanOrEqual(1);
    for (const p of r.points) {
      const x = p.runs[0];
      if (x.status === 'pending') continue;
      expect(fs.existsSync(path.join(h, x.run as string))).toBe(true);
    }
    expect(r.table[0].complete).toBe(1);
    expect(lab(['sweep-show', r.id, '--json'], { SVA_LAB_HOME: h }).stdout).toMatch(/"status":"cancelled"/);
  });
});

describe('sweep command helpers', () => {
  it('a preset gives the definition; --vary replaces its values for that key, --set, --seeds and --metrics adjust it', () => {
    const d = sweepDefinition(undefined, { preset: 'innocent-victims', vary: [{ key: 'dmaStopMs', values: ['10', '1000'] }, { key: 'lockedMemory', values: ['512', '2048'] }], set: { bystanders: '3' }, seeds: '2' });
    expect(d).toMatchObject({
      preset: 'innocent-victims',
      scenario: 'oom-bound-victim',
      vary: [
        { key: 'dmaStopMs', values: ['10', '1000'] },
        { key: 'mmExit', values: [true, false] },
        { key: 'lockedMemory', values: ['512', '2048'] },
      ],
      set: { bystanders: '3' },
      seeds: 2,
      metrics: ['innocentVictims', 'memoryFreedNs', 'oomVictims', 'releaseLatencyNs.max'],
    });
    expect(sweepDefinition('pasid-lifetime', { vary: [{ key: 'pasidPerMm', values: ['true'] }], set: {}, metrics: 'pasidsPeak, pasidAllocFailures' })).toEqual({
      scenario: 'pasid-lifetime',
      vary: [{ key: 'pasidPerMm', values: ['true'] }],
      set: {},
      seeds: undefined,
      metrics: ['pasidsPeak', 'pasidAllocFailures'],
    });
    expect(() => sweepDefinition(undefined, { vary: [], set: {} })).toThrow(/needs a scenario .* or --preset/);
  });

  it('a cell shows the mean, (min–max) when seeds differ, times in their unit, and never', () => {
    expect(fmtStats('innocentVictims', { mean: 1, min: 1, max: 1, n: 3, nulls: 0 })).toBe('1');
    expect(fmtStats('innocentVictims', { mean: 2 / 3, min: 0, max: 1, n: 3, nulls: 0 })).toBe('0.67 (0–1)');
    expect(fmtStats('memoryFreedNs', { mean: 60_000_000, min: 59_801_600, max: 60_198_400, n: 2, nulls: 1 })).toBe('60 ms (59.8 ms–60.2 ms) +1 never');
    expect(fmtStats('memoryFreedNs', { mean: null, min: null, max: null, n: 0, nulls: 2 })).toBe('never');
    expect(fmtStats('lockups', { mean: null, min: null, max: null, n: 0, nulls: 0 })).toBe('-');
  });
});
