/**
 * The two kernel designs a run can model, and the one rule that names a run's design from its
 * parameters: `mmExit` true is the mm_exit model (release() calls the driver's mm_exit), false the
 * quiet release (v5.8). Trace files, summaries, the archive list and sweeps all name it this way.
 */
export type Design = 'mm_exit' | 'quiet';

/** The design of a run with these (resolved) parameters. */
export function designOf(params: { readonly mmExit?: unknown }): Design {
  return params.mmExit === true ? 'mm_exit' : 'quiet';
}
