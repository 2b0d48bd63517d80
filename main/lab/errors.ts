import { ParamError } from '../sim/params';
import { UnknownScenarioError } from '../sim/run';
import { TraceFileError } from '../trace/errors';

/**
 * An error a user can cause (bad scenario, parameter, file): the message is one sentence that
 * names the thing and says what would be valid. Adapters print it as it is, never a stack trace.
 */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

/** The lab is at its bound of concurrent work (runs, sweeps, uploads): try again later. HTTP answers it with 429. */
export class BusyError extends UserError {}

/** The lower layers' user-causable errors (a bad trace file, parameter or scenario) as a UserError; anything else as it is. */
export function userError(e: unknown): unknown {
  if (e instanceof TraceFileError || e instanceof ParamError || e instanceof UnknownScenarioError) return new UserError(e.message);
  return e;
}

/** Run `fn`, mapping user-causable errors to UserError. */
export function asUser<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw userError(e);
  }
}
