/**
 * Virtual time. Integer nanoseconds since the start of a run; the wall clock never enters the
 * simulator. A `number` holds integers exactly up to 2^53 ns (about 104 days), far beyond any run.
 */
export type Ns = number;

export const NS_PER_US = 1_000;
export const NS_PER_MS = 1_000_000;
export const NS_PER_S = 1_000_000_000;

/** Microseconds to integer ns. */
export const us = (v: number): Ns => Math.round(v * NS_PER_US);
/** Milliseconds to integer ns. */
export const ms = (v: number): Ns => Math.round(v * NS_PER_MS);
/** Seconds to integer ns. */
export const sec = (v: number): Ns => Math.round(v * NS_PER_S);

/** Human form of a duration, choosing ns/µs/ms/s as the magnitude suits. */
export function fmtNs(t: Ns | null): string {
  if (t === null) return 'never';
  const a = Math.abs(t);
  if (a < NS_PER_US) return `${t} ns`;
  if (a < NS_PER_MS) return `${+(t / NS_PER_US).toFixed(2)} µs`;
  if (a < NS_PER_S) return `${+(t / NS_PER_MS).toFixed(2)} ms`;
  return `${+(t / NS_PER_S).toFixed(3)} s`;
}

/** A possibly fractional ns figure to integer ns. */
export const ns = (v: number): Ns => Math.round(v);
