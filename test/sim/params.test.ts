import { describe, expect, it } from 'vitest';
import { ParamError } from '../../main/sim/params';
import { resolveScenarioParams, runScenario, runWarnings, UnknownScenarioError } from '../../main/sim/run';
import { SCENARIOS } from '../../main/sim/scenarios/index';

describe('scenario parameters', () => {
  it('every scenario parameter has a default inside its range and a description', () => {
    const ids = SCENARIOS.map((s) => s.id);
    expect(ids).toEqual(['oom-bound-victim', 'sigkill-during-dma', 'iopf-last-mmput', 'lock-inversion', 'unbind-with-dma', 'prq-overflow-drain', 'pasid-lifetime', 'exit-during-fault', 'close-then-exit', 'drain-lock-order', 'drain-in-release', 'stress']);
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

// Each design's defaults follow the kernel series it models (issue 9.10): the mm_exit model is the
// v4 SVA series, whose io-pgfault.c iopf_handle_single dropped its reference with mmput_async ("we
// can't do mmput()... mmput_async() moves the release of the mm to another thread"); the quiet model
// is v5.8 mainline (mmput); per-mm PASIDs and OOM_REAPER_DELAY are ~v5.18.
describe('design-dependent defaults and warnings', () => {
  it('flipping only mmExit takes the design\'s own iopfPut; an explicit value is kept', () => {
    expect(resolveScenarioParams('oom-bound-victim', {}).iopfPut).toBe('mmput');
    expect(resolveScenarioParams('oom-bound-victim', { mmExit: 'true' }).iopfPut).toBe('mmput_async');
    expect(resolveScenarioParams('oom-bound-victim', { mmExit: true, iopfPut: 'mmput' }).iopfPut).toBe('mmput');
    // lock-inversion defaults to mm_exit: its catalog default is the v4 series' mmput_async.
    const li = SCENARIOS.find((x) => x.id === 'lock-inversion')!;
    expect(li.params.find((p) => p.key === 'iopfPut')!.default).toBe('mmput_async');
    expect(resolveScenarioParams('lock-inversion', { mmExit: false }).iopfPut).toBe('mmput');
  });

  it('the catalog is truthful: every default is what a run with nothing set uses, and byDesign gives the other design', () => {
    for (const sc of SCENARIOS) {
      const none = resolveScenarioParams(sc.id, {});
      const design = none.mmExit === true ? 'mm_exit' : 'quiet';
      const flipped = resolveScenarioParams(sc.id, { mmExit: !none.mmExit });
      for (const p of sc.params) {
        expect(none[p.key], `${sc.id} ${p.key}`).toBe(p.default);
        if (p.byDesign) {
          expect(p.byDesign[design], `${sc.id} ${p.key}`).toBe(p.default);
          expect(flipped[p.key], `${sc.id} ${p.key} flipped`).toBe(p.byDesign[design === 'mm_exit' ? 'quiet' : 'mm_exit']);
          if (p.byDesign.mm_exit !== p.byDesign.quiet) expect(p.doc).toMatch(/Default by design: .* with mmExit=true, .* with mmExit=false/);
        }
      }
    }
  });

  it('no scenario\'s defaults mix kernels, and neither does flipping only mmExit, except iopf-last-mmput\'s deliberate mm_exit + mmput', () => {
    for (const sc of SCENARIOS) {
      for (const mmExit of [true, false]) {
        const p = resolveScenarioParams(sc.id, { mmExit });
        const w = runWarnings(sc.id, p);
        if (sc.id === 'drain-in-release' && mmExit) {
          // v5.7's Intel driver handles faults in the PRQ thread; with the v4 series' mm_exit that
          // mixes kernels, and the summary says so.
          expect(w).toHaveLength(1);
          expect(w[0]).toMatch(/mmExit=true is the v4 SVA series.*faultHandler=prq_event_thread is Intel v5\.8 to v5\.13/);
        } else if (sc.id === 'iopf-last-mmput' && mmExit) {
          expect(w).toHaveLength(1);
          expect(w[0]).toMatch(/^No kernel shipped this combination: mmExit=true is the v4 SVA series .*; iopfPut=mmput is mainline/);
        } else expect(w, `${sc.id} mmExit=${mmExit}`).toEqual([]);
      }
    }
  });

  it('names each setting\'s kernel when they disagree', () => {
    const w = (id: string, given: Record<string, unknown>) => runWarnings(id, resolveScenarioParams(id, given));
    expect(w('oom-bound-victim', { mmExit: true, pasidPerMm: true })[0]).toMatch(/mmExit=true is the v4 SVA series.*pasidPerMm=true is ~v5\.18/);
    expect(w('oom-bound-victim', { mmExit: true, reaperDelayMs: 2000 })[0]).toMatch(/reaperDelayMs=2000 is ~v5\.18 \(OOM_REAPER_DELAY/);
    expect(w('oom-bound-victim', { mmExit: false, pasidPerMm: true })[0]).toMatch(/pasidPerMm=true is ~v5\.18.*reaperDelayMs=0 is v5\.17 and earlier/);
    expect(w('oom-bound-victim', { mmExit: false, pasidPerMm: true, reaperDelayMs: 2000 })).toEqual([]);
    expect(w('oom-bound-victim', { mmExit: false, iopfPut: 'mmput_async' })[0]).toMatch(/mmExit=false is mainline v5\.8\+.*iopfPut=mmput_async is the v4 SVA series/);
    // Intel's page-request handler: in the PRQ thread up to v5.13, on the IOPF queue from v5.14 (the v4
    // series' too); SMMUv3 always uses the IOPF queue, so the setting says nothing there.
    expect(w('oom-bound-victim', { mmExit: true, faultHandler: 'prq_event_thread' })[0]).toMatch(/mmExit=true is the v4 SVA series.*faultHandler=prq_event_thread is Intel v5\.8 to v5\.13/);
    expect(w('oom-bound-victim', { mmExit: false, faultHandler: 'prq_event_thread' })).toEqual([]);
    expect(w('oom-bound-victim', { mmExit: false, pasidPerMm: true, reaperDelayMs: 2000, faultHandler: 'prq_event_thread' })[0]).toMatch(/faultHandler=prq_event_thread is Intel v5\.8 to v5\.13/);
    expect(w('oom-bound-victim', { mmExit: true, faultHandler: 'prq_event_thread', iommu: 'smmuv3' })).toEqual([]);
    // The reaper's delay counts only where the OOM killer runs.
    expect(w('pasid-lifetime', { mmExit: false, reaperDelayMs: 2000, pasidPerMm: false })).toEqual([]);
    // The run carries them.
    const s = runScenario('iopf-last-mmput', { hungTaskTimeoutS: 0, dmaJobTx: 200 }, 1);
    expect(s.warnings).toHaveLength(1);
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
