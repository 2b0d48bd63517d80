import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab, type Lab } from '../../../main/lab/index';
import { importKernelLogs } from '../kernelLogRuns';

let home: string;
let lab: Lab;
let ids: Map<string, string>;

beforeAll(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'sva-match-'));
  lab = createLab(home);
  ids = await importKernelLogs(lab, ['01', '04', '05']);
});
afterAll(async () => {
  await lab.close();
  fs.rmSync(home, { recursive: true, force: true });
});

describe('finding a matching scenario for an observed run', () => {
  it('finds the OOM scenario for an OOM log, fitting the kill -> reap gap', async () => {
    const m = await lab.findMatchingScenario(ids.get('01')!);
    expect(m.basis).toBe('oom');
    // The log's own gaps (SOURCES.md): kill 251.716666 -> reap 251.795110; -> next "invoked oom-killer" 256.237437.
    expect(m.observed).toMatchObject({ oom_kill: 1, reaped: 1, oom_none: 1, panic: 1, reapGapNs: 78_444_000, nextOomGapNs: 4_520_771_000 });
    const best = m.candidates[0];
    expect(best.run.scenario).toBe('oom-bound-victim');
    // Nothing left to kill after the victim: the model panics as the log does.
    expect(best.run.params).toMatchObject({ bystanders: 0 });
    expect(best.features).toMatchObject({ oom_kill: 1, reaped: 1, oom_none: 1, panic: 1 });
    // The reaper delay fitted so that the model's reap comes within 10% of the log's 78 ms.
    expect(Math.abs(Number(best.features.reapGapNs) - 78_444_000)).toBeLessThan(7_900_000);
    expect(m.candidates.map((c) => c.score)).toEqual([...m.candidates.map((c) => c.score)].sort((x, y) => x - y));
    // And it runs: the proposal is a valid run request.
    const rec = await lab.record(best.run);
    expect(rec.metrics).toMatchObject({ oomVictims: 1, oomReaped: 1, panics: 1 });
  });

  it('looks for a lockdep splat by its chain, and says when no scenario of this build prints one', async () => {
    const m = await lab.findMatchingScenario(ids.get('04')!);
    expect(m.basis).toBe('report');
    expect(m.looking).toEqual(['lockdep (possible circular locking dependency detected): &param->lock --> &param->fault_param->lock --> pasid_mutex']);
    // The catalog's drain-lock-order reproduces the v5.14 splat: the same chain of lock classes, the same locks, the chain's functions.
    expect(m.candidates[0].run.scenario).toBe('drain-lock-order');
    expect(m.candidates[0].why).toMatch(/lockdep report 100% alike/);
    expect(m.note).toBeNull();
  });

  it('finds drain-in-release for the v5.7-rc1 might_sleep BUG, by its call trace', async () => {
    const m = await lab.findMatchingScenario(ids.get('05')!);
    expect(m.basis).toBe('report');
    expect(m.candidates[0].run.scenario).toBe('drain-in-release');
    expect(m.candidates[0].why).toMatch(/1 might_sleep as in the log; might_sleep report \d+% alike/);
  });

  it('refuses a model run', async () => {
    const model = await lab.record({ scenario: 'lock-inversion', params: {}, seed: 1 });
    await expect(lab.findMatchingScenario(lab.runOf(model.trace))).rejects.toThrow(/is a model run \(lock-inversion\); find a matching scenario for an observed run/);
  });
});
