import { UserError } from './errors';

const UNIT_NS: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, ms: 1e6, s: 1e9 };

/** Parse a time: integer ns ('1500000') or a number with a unit ('5ms', '1.5s', '20us'); returns integer ns. */
export function parseTimeNs(v: string, what = 'time'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ns|us|µs|ms|s)?\s*$/.exec(v);
  if (!m) throw new UserError(`The ${what} '${v}' is not a time; give ns (1500000) or a number with a unit (ns, us, ms, s), e.g. 5ms or 1.5s.`);
  const ns = Math.round(Number(m[1]) * UNIT_NS[m[2] ?? 'ns']);
  if (!Number.isSafeInteger(ns)) throw new UserError(`The ${what} '${v}' is too large.`);
  return ns;
}

/** Parse 'FROM:TO' (each a time as parseTimeNs takes it) with FROM < TO. */
export function parseRange(v: string): { fromNs: number; toNs: number } {
  const i = v.indexOf(':');
  if (i < 0) throw new UserError(`The range '${v}' must be FROM:TO, e.g. 0:5ms or 1s:1.5s.`);
  const fromNs = parseTimeNs(v.slice(0, i), 'range start');
  const toNs = parseTimeNs(v.slice(i + 1), 'range end');
  if (toNs <= fromNs) throw new UserError(`The range '${v}' must end after it starts.`);
  return { fromNs, toNs };
}
