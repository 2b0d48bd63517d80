import type { ParamSpec, ParamValue, Summary } from '../../../main/contract';

/**
 * Whether two runs differ only in the design: same scenario and seed, and every parameter equal,
 * except `mmExit` and the parameters whose default follows the design (`byDesign`, e.g. `iopfPut`:
 * mmput_async in the v4 series, mmput in mainline) where each run holds its own design's default.
 */
export function onlyDesignDiffers(x: Summary, y: Summary, specs: readonly ParamSpec[]): boolean {
  if (x.scenario !== y.scenario || x.seed !== y.seed || x.model === 'observed' || y.model === 'observed') return false;
  const keys = new Set([...Object.keys(x.params), ...Object.keys(y.params)]);
  const design = (s: Summary): 'mm_exit' | 'quiet' => (s.model === 'observed' ? 'quiet' : s.model);
  for (const k of keys) {
    if (k === 'mmExit') continue;
    const a: ParamValue | undefined = x.params[k];
    const b: ParamValue | undefined = y.params[k];
    if (a === b) continue;
    const by = specs.find((s) => s.key === k)?.byDesign;
    if (by && a === by[design(x)] && b === by[design(y)]) continue;
    return false;
  }
  return true;
}
