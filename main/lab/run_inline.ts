import { ParamError } from '../sim/params';
import { runScenario, UnknownScenarioError, type RunOptions, type Summary } from '../sim/run';
import { UserError } from './errors';

/** Run a scenario in this thread (no recording); user mistakes become UserError. */
export function runInline(scenario: string, params: Record<string, unknown>, seed: number, opts: RunOptions = {}): Summary {
  try {
    return runScenario(scenario, params, seed, opts);
  } catch (e) {
    if (e instanceof ParamError || e instanceof UnknownScenarioError) throw new UserError(e.message);
    throw e;
  }
}
