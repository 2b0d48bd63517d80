import { describe, expect, it } from 'vitest';
import type { ParamSpec, Summary } from '../../../main/contract';
import { onlyDesignDiffers } from '../../../renderer/src/util/design';

const specs: ParamSpec[] = [
  { key: 'mmExit', type: 'bool', default: false, group: 'design', doc: '' },
  { key: 'iopfPut', type: 'enum', default: 'mmput', values: ['mmput', 'mmput_async'], byDesign: { mm_exit: 'mmput_async', quiet: 'mmput' }, group: 'design', doc: '' },
  { key: 'dmaStopMs', type: 'number', default: 10, min: 0, max: 1e6, group: 'scenario', doc: '' },
];
const run = (model: 'mm_exit' | 'quiet', params: Record<string, unknown>, seed = 1): Summary =>
  ({ scenario: 'oom-bound-victim', model, seed, params: { mmExit: model === 'mm_exit', ...params } }) as unknown as Summary;

describe('onlyDesignDiffers', () => {
  it('a pair whose design-following defaults differ still differs only in the design', () => {
    expect(onlyDesignDiffers(run('mm_exit', { iopfPut: 'mmput_async', dmaStopMs: 5 }), run('quiet', { iopfPut: 'mmput', dmaStopMs: 5 }), specs)).toBe(true);
  });
  it('a design-following parameter set against its design, another parameter or the seed makes more differ', () => {
    expect(onlyDesignDiffers(run('mm_exit', { iopfPut: 'mmput' }), run('quiet', { iopfPut: 'mmput_async' }), specs)).toBe(false);
    expect(onlyDesignDiffers(run('mm_exit', { iopfPut: 'mmput_async', dmaStopMs: 5 }), run('quiet', { iopfPut: 'mmput', dmaStopMs: 6 }), specs)).toBe(false);
    expect(onlyDesignDiffers(run('mm_exit', {}), run('quiet', {}, 2), specs)).toBe(false);
  });
});
