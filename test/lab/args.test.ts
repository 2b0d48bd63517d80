import { describe, expect, it } from 'vitest';
import { checkRun } from '../../main/lab/args';
import { resolveScenarioParams } from '../../main/sim/run';

describe('checkRun', () => {
  it('resolves parameters as the model does: a design-following default takes the chosen design\'s value unless given', () => {
    for (const mmExit of [true, false]) {
      const { run } = checkRun({ scenario: 'sigkill-during-dma', params: { mmExit: String(mmExit) } });
      expect(run?.params).toEqual(resolveScenarioParams('sigkill-during-dma', { mmExit }));
      expect(run?.params.iopfPut).toBe(mmExit ? 'mmput_async' : 'mmput');
    }
    expect(checkRun({ scenario: 'sigkill-during-dma', params: { mmExit: true, iopfPut: 'mmput' } }).run?.params.iopfPut).toBe('mmput');
  });

  it('gives one message per bad field and no run', () => {
    const { errors, run } = checkRun({ scenario: 'sigkill-during-dma', params: { dmaStopMs: 'abc', nope: 1 }, seed: -1 });
    expect(run).toBeNull();
    expect(Object.keys(errors).sort()).toEqual(['dmaStopMs', 'nope', 'seed']);
  });
});
