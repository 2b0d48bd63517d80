import { designOf, type Design } from './design';
import { InvariantError, Sim } from './engine';
import type { TraceSink } from './events';
import { MetricsFold, type Metrics } from './metrics';
import { ParamError, resolveParams, type Params } from './params';
import { findScenario, SCENARIOS } from './scenarios/index';
import type { Scenario } from './scenarios/scenario';
import type { Task } from './task';
import { do_exit } from './kernel/exit';

/** Bumped whenever a change to the model can change an event stream for the same inputs. */
export const MODEL_VERSION = 2;

export type RunStatus = 'complete' | 'cancelled' | 'failed';

/** The summary of one run. Field names are a contract (DESIGN.md, "Headless interface"). */
export interface Summary {
  scenario: string;
  params: Params;
  seed: number;
  model: Design;
  modelVersion: number;
  status: RunStatus;
  error: string | null;
  /** Why the clock stopped: nothing left to happen, the horizon, or the event budget. */
  endReason: string;
  events: number;
  endTimeNs: number;
  digest: string;
  metrics: Metrics;
}

export class UnknownScenarioError extends Error {}

export function scenarioOrThrow(id: string): Scenario {
  const s = findScenario(id);
  if (!s) throw new UnknownScenarioError(`Unknown scenario '${id}'; valid scenarios: ${SCENARIOS.map((x) => x.id).join(', ')}.`);
  return s;
}

/** Validate and complete parameters (throws ParamError with one clear sentence). */
export function resolveScenarioParams(id: string, given: Record<string, unknown>): Params {
  return resolveParams(scenarioOrThrow(id).params, given, id);
}

export interface RunOptions {
  /** Extra sinks (a trace writer). */
  sinks?: TraceSink[];
  /** Polled between events; returning true cancels the run. */
  shouldStop?: () => boolean;
  /** Called every `progressEvery` events with (events, virtual time). */
  onProgress?: (events: number, tNs: number) => void;
  progressEvery?: number;
}

/**
 * Run a scenario to its end. Pure and deterministic: the result depends only on (scenario,
 * params, seed, MODEL_VERSION).
 */
export function runScenario(id: string, given: Record<string, unknown>, seed: number, opts: RunOptions = {}): Summary {
  const sc = scenarioOrThrow(id);
  const params = resolveParams(sc.params, given, id);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new ParamError(`Seed must be a non-negative integer; got '${seed}'.`);
  const metrics = new MetricsFold();
  const sim = new Sim(seed, [metrics, ...(opts.sinks ?? [])]);
  let status: RunStatus = 'complete';
  let error: string | null = null;
  let endReason: string;
  try {
    const k = sc.build(sim, params);
    sim.exitPath = (t: Task) => do_exit(k, t);
    k.start();
    const horizon = sc.horizon(params);
    const budget = sc.eventBudget ? sc.eventBudget(params) : Number.MAX_SAFE_INTEGER;
    const every = opts.progressEvery ?? 0;
    if (every > 0 || opts.shouldStop) {
      // Run in slices so progress can be reported and cancellation polled.
      let next = every > 0 ? every : 65536;
      for (;;) {
        const r = sim.run(horizon, Math.min(budget, sim.seq + next));
        opts.onProgress?.(sim.seq, sim.now);
        if (r !== 'budget' || sim.seq >= budget) {
          endReason = r;
          break;
        }
        if (opts.shouldStop?.()) {
          status = 'cancelled';
          endReason = 'cancelled';
          break;
        }
        next = every > 0 ? every : 65536;
      }
    } else {
      endReason = sim.run(horizon, budget);
    }
  } catch (e) {
    status = 'failed';
    error = e instanceof InvariantError ? `model invariant broken: ${e.message}` : e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    endReason = 'failed';
  }
  return {
    scenario: id,
    params,
    seed,
    model: designOf(params),
    modelVersion: MODEL_VERSION,
    status,
    error,
    endReason,
    events: sim.seq,
    endTimeNs: sim.now,
    digest: sim.digest.hex(),
    metrics: metrics.result(),
  };
}
