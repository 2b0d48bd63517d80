import { describe, expect, it } from 'vitest';
import type { ScenarioDto } from '../../../main/contract';
import { describeRange } from '../../../main/sim/params';
import { SCENARIOS } from '../../../main/sim/scenarios/index';
import { gridRuns, parseSweepForm } from '../../../renderer/src/util/sweepForm';

const oom: ScenarioDto = (() => {
  const s = SCENARIOS.find((x) => x.id === 'oom-bound-victim');
  if (!s) throw new Error('no oom-bound-victim');
  return { id: s.id, title: s.title, story: s.story, params: s.params.map((p) => ({ ...p, range: describeRange(p) })) };
})();

describe('parseSweepForm', () => {
  it('turns the form into a typed definition (duplicates dropped, spaces ignored, a number input as a number)', () => {
    const r = parseSweepForm({ scenario: 'oom-bound-victim', vary: [{ key: 'dmaStopMs', values: ' 10, 1000 ,10000,10' }, { key: 'mmExit', values: 'true,false' }], seeds: 2 }, oom);
    expect(r).toEqual({ def: { scenario: 'oom-bound-victim', vary: [{ key: 'dmaStopMs', values: [10, 1000, 10000] }, { key: 'mmExit', values: [true, false] }], seeds: 2 } });
    if ('def' in r) expect(gridRuns(r.def)).toBe(12);
  });

  it('an empty second row is optional; seeds default to 1', () => {
    expect(parseSweepForm({ scenario: 'oom-bound-victim', vary: [{ key: 'dmaStopMs', values: '10' }, { key: '', values: '' }], seeds: '' }, oom)).toEqual({
      def: { scenario: 'oom-bound-victim', vary: [{ key: 'dmaStopMs', values: [10] }], seeds: 1 },
    });
  });

  it('names the field and what would be valid', () => {
    const r = parseSweepForm({ scenario: 'oom-bound-victim', vary: [{ key: 'dmaStopMs', values: '10,ten' }, { key: 'dmaStopMs', values: '5' }], seeds: '0' }, oom);
    expect(r).toEqual({
      errors: {
        'vary.0': "dmaStopMs must be a number from 0 to 600000 (ms); 'ten' is not.",
        'vary.1': 'dmaStopMs is varied twice; pick another parameter.',
        seeds: "Seeds must be a whole number from 1 to 1000; got '0'.",
      },
    });
    expect(parseSweepForm({ scenario: 'oom-bound-victim', vary: [{ key: 'mmExit', values: 'yes' }], seeds: '1' }, oom)).toEqual({ errors: { 'vary.0': "mmExit must be true or false; 'yes' is not." } });
    expect(parseSweepForm({ scenario: 'oom-bound-victim', vary: [{ key: 'dmaStopMs', values: ' , ' }], seeds: '1' }, oom)).toEqual({
      errors: { 'vary.0': 'Give dmaStopMs some values, separated by commas (a number from 0 to 600000).' },
    });
    expect(parseSweepForm({ scenario: 'nope', vary: [], seeds: '1' }, undefined)).toEqual({ errors: { scenario: 'Pick a scenario to sweep.' } });
  });
});
