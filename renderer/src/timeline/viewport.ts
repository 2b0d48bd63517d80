import type { Ns } from '../../../main/contract';

/** The visible time range of a timeline: integer-free ns, `fromNs < toNs`. */
export interface Viewport {
  fromNs: Ns;
  toNs: Ns;
}

/** The narrowest view: 50 ns across the whole width (a single event is still a mark). */
export const MIN_SPAN_NS = 50;

/**
 * Keep a view inside the run [startNs, endNs] (padded by 2 % either side so end marks are not cut)
 * and no narrower than MIN_SPAN_NS; a view wider than the run becomes the whole run.
 */
export function clampView(v: Viewport, startNs: Ns, endNs: Ns): Viewport {
  const pad = Math.max((endNs - startNs) * 0.02, MIN_SPAN_NS);
  const lo = startNs - pad;
  const hi = endNs + pad;
  let span = Math.max(v.toNs - v.fromNs, MIN_SPAN_NS);
  if (span >= hi - lo) return { fromNs: lo, toNs: hi };
  let from = v.fromNs;
  if (from < lo) from = lo;
  if (from + span > hi) from = hi - span;
  span = Math.max(span, MIN_SPAN_NS);
  return { fromNs: from, toNs: from + span };
}

/** The whole run with a little margin. */
export function fitView(startNs: Ns, endNs: Ns): Viewport {
  return clampView({ fromNs: startNs, toNs: endNs + Math.max(1, endNs - startNs) * 10 }, startNs, endNs);
}

/** Zoom by `factor` (< 1 zooms in) keeping the time under `anchorNs` where it is on screen. */
export function zoomAt(v: Viewport, factor: number, anchorNs: Ns): Viewport {
  const span = v.toNs - v.fromNs;
  const next = Math.max(span * factor, MIN_SPAN_NS);
  const frac = span > 0 ? (anchorNs - v.fromNs) / span : 0.5;
  const from = anchorNs - frac * next;
  return { fromNs: from, toNs: from + next };
}

/** Shift the view by `dNs` (positive: later times come into view). */
export function panBy(v: Viewport, dNs: Ns): Viewport {
  return { fromNs: v.fromNs + dNs, toNs: v.toNs + dNs };
}

/** A view that shows `t`, panned as little as possible (keeps a 5 % margin from the edges). */
export function revealTime(v: Viewport, t: Ns): Viewport {
  const span = v.toNs - v.fromNs;
  const m = span * 0.05;
  if (t < v.fromNs + m) return { fromNs: t - m, toNs: t - m + span };
  if (t > v.toNs - m) return { fromNs: t + m - span, toNs: t + m };
  return v;
}

/** Time under pixel `x` of a plot `widthPx` wide. */
export function timeAt(v: Viewport, x: number, widthPx: number): Ns {
  return v.fromNs + (x / widthPx) * (v.toNs - v.fromNs);
}

/** Pixel of time `t` in a plot `widthPx` wide. */
export function xOf(v: Viewport, t: Ns, widthPx: number): number {
  return ((t - v.fromNs) / (v.toNs - v.fromNs)) * widthPx;
}
