import { describe, expect, it } from 'vitest';
import { ParamError } from '../../main/sim/params';
import { resolveScenarioParams, runScenario, UnknownScenarioError } from '../../main/sim/run';
import { SCENARIOS } from '../../main/sim/scenarios/index';

describe('scenario parameters', () => {
  it('every scenario parameter has a default inside its range and a description', () => {
    const ids = SCENARIOS.map((s) => s.id);
    expect(ids).toEqual(['oom-bound-victim', 'sigkill-during-dma', 'iopf-last-mmput', 'lock-inversion', 'unbind-with-dma', 'prq-overflow-drain', 'pasid-lifetime', 'exit-during-fault', 'stress']);
    for (const s of SCENARIOS) {
      for (const key of ['mmExit', 'iopfPut', 'dmaStopMs', 'lockedMemory', 'reaperRetries', 'reaperIntervalMs', 'reaperDelayMs', 'hungTaskTimeoutS']) {
        expect(s.params.some((p) => p.key === key), `${s.id} ${key}`).toBe(true);
      }
      for (const p of s.params) {
        expect(p.doc.length).toBeGreaterThan(10);
        if (p.type === 'int' || p.type === 'number') {
          expect(p.default as number).toBeGreaterThanOrEqual(p.min!);
          expect(p.default as number).toBeLessThanOrEqual(p.max!);
        }
        if (p.type === 'enum') expect(p.values).toContain(p.default);
      }
    }
  });

  it('refuses an unknown scenario, naming it and listing the valid ids', () => {
    expect(() => runScenario('oom', {}, 1)).toThrow(UnknownScenarioError);
    expect(() => runScenario('oom', {}, 1)).toThrow(/Unknown scenario 'oom'; valid scenarios: oom-bound-victim, .*stress\./);
  });

  it.each([
    [{ dmaStopMs: '-1' }, /Parameter 'dmaStopMs' of scenario 'oom-bound-victim' must be a number from 0 to 600000 \(ms\); got '-1'\./],
    [{ reaperRetries: '2.5' }, /'reaperRetries' .* must be an integer from 1 to 100/],
    [{ mmExit: 'yes' }, /'mmExit' .* must be true or false; got 'yes'/],
    [{ iopfPut: 'mmdrop' }, /'iopfPut' .* must be one of mmput, mmput_async; got 'mmdrop'/],
    [{ bogus: '1' }, /Scenario 'oom-bound-victim' has no parameter 'bogus'; valid parameters: .*mmExit/],
  ])('refuses %o with one sentence naming the parameter and what is valid', (given, msg) => {
    expect(() => resolveScenarioParams('oom-bound-victim', given)).toThrow(ParamError);
    expect(() => resolveScenarioParams('oom-bound-victim', given)).toThrow(msg);
  });

  it('parses textual values from --set', () => {
    const p = resolveScenarioParams('oom-bound-victim', { mmExit: 'true', dmaStopMs: '2500', iopfPut: 'mmput_async' });
    expect(p.mmExit).toBe(true);
    expect(p.dmaStopMs).toBe(2500);
    expect(p.iopfPut).toBe('mmput_async');
  });
});

describe('README', () => {
  it('documents every scenario id and every metric', async () => {
    const { readFileSync } = await import('node:fs');
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const { METRIC_DOCS } = await import('../../main/sim/metrics');
    for (const s of SCENARIOS) expect(readme).toContain(`\`${s.id}\``);
    for (const [k, doc] of Object.entries(METRIC_DOCS)) expect(readme).toContain(`| \`${k}\` | ${doc} |`);
  });
});
