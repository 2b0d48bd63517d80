import type { Ns } from '../../../main/contract';

const UNITS: [number, string][] = [
  [1e9, 's'],
  [1e6, 'ms'],
  [1e3, 'µs'],
  [1, 'ns'],
];

/** Trim a fixed-point string: "5.000" -> "5", "2.500" -> "2.5". */
function trim(s: string): string {
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

/**
 * A duration or time in the unit that suits it (ns, µs, ms or s), with up to `digits` decimals:
 * 1500 -> "1.5 µs", 60_000_000_000 -> "60 s". Null means "never" in the metrics.
 */
export function formatNs(ns: Ns | null, digits = 3): string {
  if (ns === null) return 'never';
  if (!Number.isFinite(ns)) return String(ns);
  const a = Math.abs(ns);
  for (const [scale, unit] of UNITS) {
    if (a >= scale || scale === 1) return `${trim((ns / scale).toFixed(scale === 1 ? 0 : digits))} ${unit}`;
  }
  return `${ns} ns`;
}

/** Tick spacing: 1, 2 or 5 times a power of ten ns, at least `minNs`. */
export function niceStep(minNs: number): number {
  if (!(minNs > 1)) return 1;
  const p = 10 ** Math.floor(Math.log10(minNs));
  for (const m of [1, 2, 5, 10]) if (m * p >= minNs) return m * p;
  return 10 * p;
}

/** The largest unit whose scale is at most `ns` (ns for anything below a µs). */
export function unitFor(ns: number): [number, string] {
  const a = Math.abs(ns);
  for (const u of UNITS) if (a >= u[0]) return u;
  return UNITS[UNITS.length - 1];
}

/**
 * Label of a tick at `t` on an axis of spacing `step`. The unit follows the size of the times on
 * the axis (`unitRefNs`, default the tick itself), the decimals follow the step: 285.6322 ms on a
 * 200 ns grid, 13.5 ms on a 500 µs grid, 10 s on a 5 s grid.
 */
export function tickLabel(t: Ns, step: number, unitRefNs = Math.max(Math.abs(t), step)): string {
  const [scale, unit] = unitFor(unitRefNs);
  const decimals = Math.max(0, Math.ceil(Math.log10(scale / step) - 1e-9));
  return `${trim((t / scale).toFixed(Math.min(decimals, 9)))} ${unit}`;
}

/** Tick times in [fromNs, toNs] so that labels sit at least `minPx` apart on `widthPx` pixels. */
export function ticks(fromNs: Ns, toNs: Ns, widthPx: number, minPx = 90): { step: number; times: number[] } {
  const span = toNs - fromNs;
  if (!(span > 0) || !(widthPx > 0)) return { step: 1, times: [] };
  const step = niceStep((span / widthPx) * minPx);
  const times: number[] = [];
  for (let t = Math.ceil(fromNs / step) * step; t <= toNs; t += step) times.push(t);
  return { step, times };
}
