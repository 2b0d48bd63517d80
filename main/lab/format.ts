/** Formatting helpers the adapters share (re-exported so adapters need not reach into the simulator). */
export { fmtNs } from '../sim/time';
