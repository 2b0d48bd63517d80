import { Sim } from '../../main/sim/engine';
import { KIND, KINDS, type TraceSink, type TrackType } from '../../main/sim/events';
import { runScenario, type Summary } from '../../main/sim/run';

export interface Ev {
  seq: number;
  t: number;
  kind: string;
  actor: string;
  cause: number;
  a: number;
  b: number;
  args: Record<string, unknown> | null;
}

/** Keeps every event with names resolved, for ordering assertions. */
export class CollectSink implements TraceSink {
  readonly actors = new Map<number, string>();
  readonly events: Ev[] = [];
  actor(id: number, name: string, _track: TrackType): void {
    this.actors.set(id, name);
  }
  event(seq: number, t: number, kind: number, actor: number, cause: number, a: number, b: number, args: string | null): void {
    this.events.push({ seq, t, kind: KINDS[kind].name, actor: this.actors.get(actor) ?? `#${actor}`, cause, a, b, args: args === null ? null : JSON.parse(args) });
  }
  of(kind: string): Ev[] {
    return this.events.filter((e) => e.kind === kind);
  }
  first(kind: string, pred: (e: Ev) => boolean = () => true): Ev | undefined {
    return this.events.find((e) => e.kind === kind && pred(e));
  }
  fn(name: string, which: 'fn_begin' | 'fn_end' = 'fn_begin'): Ev[] {
    return this.events.filter((e) => e.kind === which && e.args?.fn === name);
  }
}

export function run(id: string, params: Record<string, unknown> = {}, seed = 1): { s: Summary; ev: CollectSink } {
  const ev = new CollectSink();
  const s = runScenario(id, params, seed, { sinks: [ev] });
  return { s, ev };
}

export const MS = 1_000_000;
export const S = 1_000_000_000;
export { KIND, Sim };
