import type { RunId, WhyDto } from '../contract';
import { explain } from '../trace/why';

export { whyJson } from '../trace/why';
import { UserError } from './errors';
import type { Readers } from './readers';

/** "Why did this happen?" for event `seq` of a run: the walk over its stored causal edges (main/trace/why.ts). */
export function explainEvent(readers: Readers, id: RunId, seq: number): WhyDto {
  return readers.with(id, (r) => {
    const w = explain(r, seq);
    if (!w) {
      const n = r.countRows();
      throw new UserError(`Run '${id}' has no event ${seq}; its events are numbered 1 to ${n}.`);
    }
    return w;
  });
}
