import { designOf, type Design } from './design';
import { InvariantError, Sim } from './engine';
import type { TraceSink } from './events';
import { MetricsFold, type Metrics } from './metrics';
import { ParamError, resolveParams, seedError, type Params } from './params';
import { findScenario, SCENARIOS } from './scenarios/index';
import type { Scenario } from './scenarios/scenario';
import type { Task } from './task';
import { do_exit } from './kernel/exit';
import { kernelWarnings } from './kernel/config';

/**
 * The summary's `warnings` for a run of `scenario` with these (resolved) parameters: a pure function
 * of them, so a recorded run's warnings are recomputed from its params. An unknown scenario (a trace
 * from elsewhere) is checked on every setting.
 */
export function runWarnings(scenario: string, params: Params): string[] {
  const sc = findScenario(scenario);
  return kernelWarnings(params, { oom: sc ? sc.usesOomKiller === true : true });
}

/**
 * Bumped whenever a change to the model can change an event stream for the same inputs.
 * 3: the mm_exit model frees the PASID at exit (v4 io_mm_release → io_mm_free), its unbind uses
 * mmu_notifier_put; design-dependent defaults (iopfPut); panic ends a run; kernel log lines in the
 * kernel's words; innocentVictims counts only kills while unreapable memory is held.
 * 4: lockdep and might_sleep (lock classes, lockdep and might_sleep events, their reports in the
 * kernel log), call traces in every report that prints one, the group mutex, the device fault
 * locks and the v5.14 page-response locking, task-work and syscall frames, the drain-lock-order and
 * drain-in-release scenarios.
 * 5: uacce_q_free (kfree(q) at the end of uacce_fops_release); the state fold retires exited tasks,
 * idle locks, and freed mm_structs and queues but the last RECENTLY_FREED of each.
 */
export const MODEL_VERSION = 5;

/** 'interrupted' is never the sim's own: a recorded run whose recording process was killed reads back so. */
export type RunStatus = 'complete' | 'cancelled' | 'failed' | 'interrupted';

/** The summary of one run. Field names are a contract (DESIGN.md, "Headless interface"). */
export interface Summary {
  scenario: string;
  params: Params;
  seed: number;
  /** The design the run models, or `observed` for a real kernel log imported as a run (main/trace/observed.ts). */
  model: Design | 'observed';
  modelVersion: number;
  status: RunStatus;
  error: string | null;
  /**
   * Why the clock stopped: `quiescent` (nothing left to happen), `horizon`, `budget` (stress),
   * `panic` (the kernel panicked: "System is deadlocked on memory"), `cancelled` or `failed`.
   */
  endReason: string;
  /**
   * Settings that no kernel shipped together, each named with the kernel it comes from (empty for
   * a coherent run). Such runs are allowed: the seed's deadlock needs mm_exit with plain mmput.
   */
  warnings: string[];
  events: number;
  endTimeNs: number;
  digest: string;
  metrics: Metrics;
  /**
   * Observed runs only: the metrics a kernel log cannot show (they hold their empty value, not a
   * measurement). Compare leaves them out.
   */
  notObservable?: string[];
  /** Observed runs only: the log it was imported from and how it was read. */
  observed?: { source: string; format: string; clock: string; origin: string; lines: number; reports: number };
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
  /** Polled every `progressEvery` events (the engine's one polling point); true cancels the run. */
  shouldStop?: () => boolean;
  /** Called every `progressEvery` events and once at the end, with (events, virtual time). */
  onProgress?: (events: number, tNs: number) => void;
  /** Events between two polls (default 65536). */
  progressEvery?: number;
}

/**
 * Run a scenario to its end, parsing `given` against its parameters first (a recorded run's
 * params read back from its trace, a test's). Pure and deterministic: the result depends only on
 * (scenario, params, seed, MODEL_VERSION).
 */
export function runScenario(id: string, given: Record<string, unknown>, seed: number, opts: RunOptions = {}): Summary {
  const sc = scenarioOrThrow(id);
  return runParsed(id, resolveParams(sc.params, given, id), seed, opts);
}

/**
 * Run a scenario whose parameters are already parsed (main/lab/args.ts checkRun, parseParams):
 * the worker of a run the lab started parses nothing again.
 */
export function runParsed(id: string, params: Params, seed: number, opts: RunOptions = {}): Summary {
  const sc = scenarioOrThrow(id);
  const bad = seedError(seed);
  if (bad !== null) throw new ParamError(bad);
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
    const r = sim.run(horizon, budget, {
      every: opts.progressEvery && opts.progressEvery > 0 ? opts.progressEvery : 65_536,
      tick: opts.shouldStop,
      progress: opts.onProgress,
    });
    if (r === 'stopped') {
      status = 'cancelled';
      endReason = 'cancelled';
    } else endReason = r;
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
    warnings: runWarnings(id, params),
    events: sim.seq,
    endTimeNs: sim.now,
    digest: sim.digest.hex(),
    metrics: metrics.result(),
  };
}
