import type { Ns } from '../../../main/contract';
import {
  ALARM_INSTANTS,
  COUNTER_COLORS,
  CURSOR_COLOR,
  NOTABLE_INSTANTS,
  spanColor,
  stateColor,
  textOn,
} from './colors';
import type { LaneFrame } from './frame';
import { COUNTER_H, INSTANT_H, SPAN_ROW_H, STATE_H, type LaneLayout } from './lanes';
import { formatNs, tickLabel, ticks } from './time';
import { xOf, type Viewport } from './viewport';

/** Width of the lane-name column on the left of both canvases (CSS px). */
export const GUTTER = 200;
export const RULER_H = 30;

const FONT = '11px system-ui, -apple-system, "Segoe UI", sans-serif';
const FONT_BOLD = 'bold 11px system-ui, -apple-system, "Segoe UI", sans-serif';

export interface LanesDrawInput {
  lanes: readonly LaneLayout[];
  frame: ReadonlyMap<number, LaneFrame>;
  view: Viewport;
  /** The run's end: open spans and states are drawn up to it. */
  endNs: Ns;
  cursorNs: Ns | null;
  selectedSeq: number | null;
  /** Labels for alarm instants, by seq ("OOM kill #2: worker3 (pid 10)"). */
  labels: ReadonlyMap<number, string>;
  /** Vertical range of the lanes canvas that is on screen: lanes outside it are skipped. */
  visibleTop: number;
  visibleBottom: number;
  /** Canvas width (CSS px), so labels near the right edge turn left. */
  width: number;
  /** Track ids whose lanes are marked as differing from the other run (compare view). */
  highlight?: ReadonlySet<number>;
  /** Annotations: a line across the lanes at each time. */
  marks?: readonly RulerMark[];
}

/** A bookmark or note on the ruler: a flag with its text, and a line across the lanes. */
export interface RulerMark {
  tNs: Ns;
  text: string;
  kind: 'bookmark' | 'note';
}

export const MARK_COLOR = { bookmark: '#1565c0', note: '#6a1b9a' } as const;
/** Colour of a lane that differs between the two runs of the compare view. */
export const DIFF_COLOR = '#f59e0b';

/** Fit `text` into `maxW` pixels, with an ellipsis if it had to be cut; '' if nothing fits. */
function fit(ctx: CanvasRenderingContext2D, text: string, maxW: number): string {
  if (maxW < 8) return '';
  if (ctx.measureText(text).width <= maxW) return text;
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (ctx.measureText(text.slice(0, mid) + '…').width <= maxW) lo = mid;
    else hi = mid - 1;
  }
  return lo === 0 ? '' : text.slice(0, lo) + '…';
}

/** Fit a name, cutting the middle: the end of `kworker/u:iopf_queue-9:18` tells lanes apart. */
function fitMiddle(ctx: CanvasRenderingContext2D, text: string, maxW: number): string {
  if (ctx.measureText(text).width <= maxW) return text;
  const tail = text.slice(-Math.min(10, Math.floor(text.length / 2)));
  const head = fit(ctx, text.slice(0, text.length - tail.length), maxW - ctx.measureText(tail).width);
  return head ? (head.endsWith('…') ? head : `${head}…`) + tail : fit(ctx, text, maxW);
}

let hatch: CanvasPattern | null | undefined;
/** Diagonal stripes over D state: uninterruptible sleep must look wrong, not merely red. */
function dHatch(ctx: CanvasRenderingContext2D): CanvasPattern | null {
  if (hatch !== undefined) return hatch;
  const c = typeof document === 'undefined' ? null : document.createElement('canvas');
  if (!c) return (hatch = null);
  c.width = 8;
  c.height = 8;
  const g = c.getContext('2d');
  if (!g) return (hatch = null);
  g.strokeStyle = 'rgba(0,0,0,0.35)';
  g.lineWidth = 2;
  g.beginPath();
  g.moveTo(-2, 10);
  g.lineTo(10, -2);
  g.moveTo(6, 10);
  g.lineTo(10, 6);
  g.stroke();
  return (hatch = ctx.createPattern(c, 'repeat'));
}

/** Draw the lanes (names on the left, data on the right). `ctx` is in CSS pixels. */
export function drawLanes(ctx: CanvasRenderingContext2D, width: number, height: number, d: LanesDrawInput): void {
  const plotW = Math.max(1, width - GUTTER);
  const X = (t: Ns) => GUTTER + xOf(d.view, t, plotW);
  const clampX = (x: number) => Math.min(Math.max(x, GUTTER - 2), width + 2);
  ctx.clearRect(0, 0, width, height);
  ctx.font = FONT;
  ctx.textBaseline = 'middle';
  const alarmXs: { x: number; color: string }[] = [];

  d.lanes.forEach((lane, idx) => {
    if (lane.y + lane.h < d.visibleTop || lane.y > d.visibleBottom) return;
    const y0 = lane.y;
    // Lane background and separator.
    ctx.fillStyle = idx % 2 ? '#fafbfc' : '#ffffff';
    ctx.fillRect(GUTTER, y0, plotW, lane.h);
    ctx.fillStyle = '#e3e6ea';
    ctx.fillRect(0, y0 + lane.h - 1, width, 1);
    const f = d.frame.get(lane.track.id);

    ctx.save();
    ctx.beginPath();
    ctx.rect(GUTTER, y0, plotW, lane.h);
    ctx.clip();

    if (f) {
      // release() calls also tint the whole lane: the long one is visible whatever the zoom.
      for (const s of f.spans) {
        if (s.name !== 'release()') continue;
        const x0 = clampX(X(s.t0));
        const x1 = clampX(X(s.t1 ?? d.endNs));
        ctx.fillStyle = 'rgba(194, 24, 91, 0.10)';
        ctx.fillRect(x0, y0, Math.max(1, x1 - x0), lane.h - 1);
      }
      if (lane.stateY !== null) drawStates(ctx, f, lane, X, clampX, d.endNs);
      if (lane.counterY !== null) drawCounters(ctx, f, lane, X, clampX, d, plotW);
      if (lane.spanY !== null) drawSpans(ctx, f, lane, X, clampX, d.endNs);
      drawInstants(ctx, f, lane, X, d, alarmXs);
    }
    ctx.restore();

    // Gutter: the lane's name, and what its counters are.
    ctx.fillStyle = '#f3f4f6';
    ctx.fillRect(0, y0, GUTTER, lane.h - 1);
    const differs = d.highlight?.has(lane.track.id) ?? false;
    if (differs) {
      // A lane that differs from the other run: amber gutter and a faint wash over the plot.
      ctx.fillStyle = 'rgba(245, 158, 11, 0.28)';
      ctx.fillRect(0, y0, GUTTER, lane.h - 1);
      ctx.fillStyle = 'rgba(245, 158, 11, 0.07)';
      ctx.fillRect(GUTTER, y0, plotW, lane.h - 1);
    }
    ctx.fillStyle = differs ? DIFF_COLOR : typeColor(lane.track.type);
    ctx.fillRect(0, y0, differs ? 6 : 4, lane.h - 1);
    ctx.font = lane.track.type === 'task' ? FONT_BOLD : FONT;
    ctx.fillStyle = '#1f2933';
    ctx.fillText(fitMiddle(ctx, lane.track.name, GUTTER - 50), 10, y0 + Math.min(lane.h / 2, 10));
    ctx.font = FONT;
    ctx.fillStyle = '#6b7280';
    const tag = differs ? `≠ ${lane.track.type}` : lane.track.type;
    ctx.fillText(tag, GUTTER - 6 - ctx.measureText(tag).width, y0 + Math.min(lane.h / 2, 10));
    if (f && lane.counterY !== null && lane.h >= 34) {
      let x = 10;
      let i = 0;
      for (const name of f.counters.keys()) {
        const c = COUNTER_COLORS[i++ % COUNTER_COLORS.length];
        ctx.fillStyle = c;
        const label = fit(ctx, name, GUTTER - 10 - x);
        if (!label) break;
        ctx.fillText(label, x, y0 + Math.max(lane.counterY + COUNTER_H / 2, 26));
        x += ctx.measureText(label).width + 8;
      }
    }
  });

  // Alarm instants draw a line across every lane, so the victim's lane is tied to the kill.
  for (const a of alarmXs) {
    ctx.strokeStyle = a.color;
    ctx.globalAlpha = 0.45;
    ctx.setLineDash([4, 3]);
    ctx.beginPath();
    ctx.moveTo(a.x + 0.5, d.visibleTop);
    ctx.lineTo(a.x + 0.5, d.visibleBottom);
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.globalAlpha = 1;
  }

  for (const m of d.marks ?? []) {
    const x = Math.round(X(m.tNs)) + 0.5;
    if (x < GUTTER || x > width) continue;
    ctx.strokeStyle = MARK_COLOR[m.kind];
    ctx.lineWidth = 1;
    ctx.setLineDash([2, 2]);
    ctx.beginPath();
    ctx.moveTo(x, d.visibleTop);
    ctx.lineTo(x, d.visibleBottom);
    ctx.stroke();
    ctx.setLineDash([]);
  }

  if (d.cursorNs !== null) {
    const x = X(d.cursorNs);
    if (x >= GUTTER && x <= width) {
      ctx.fillStyle = CURSOR_COLOR;
      ctx.fillRect(Math.round(x) - 1, d.visibleTop, 2, d.visibleBottom - d.visibleTop);
    }
  }
}

function typeColor(t: string): string {
  switch (t) {
    case 'task':
      return '#43a047';
    case 'oom':
      return '#b71c1c';
    case 'mm':
      return '#1565c0';
    case 'device':
      return '#1e88e5';
    case 'pasid':
      return '#fbc02d';
    case 'lock':
      return '#795548';
    case 'queue':
      return '#00897b';
    default:
      return '#90a4ae';
  }
}

type Xf = (t: Ns) => number;

function drawStates(ctx: CanvasRenderingContext2D, f: LaneFrame, lane: LaneLayout, X: Xf, clampX: Xf, endNs: Ns): void {
  const y = lane.y + (lane.stateY as number);
  for (const s of f.states) {
    if (s.state === 'X' || s.state === 'CLEARED') continue;
    const x0 = clampX(X(s.t0));
    const x1 = clampX(X(s.t1 ?? endNs));
    const w = Math.max(1, x1 - x0);
    const fill = stateColor(s.state);
    ctx.fillStyle = fill;
    const h = s.state === 'R' || s.state === 'S' ? STATE_H - 6 : STATE_H;
    const yy = s.state === 'R' || s.state === 'S' ? y + 3 : y;
    ctx.fillRect(x0, yy, w, h);
    if (s.state === 'D') {
      const p = dHatch(ctx);
      if (p) {
        ctx.fillStyle = p;
        ctx.fillRect(x0, yy, w, h);
      }
    }
    if (w > 30) {
      const text = s.state === 'D' || s.state === 'S' ? `${s.state}${s.label ? ` · waits on ${s.label}` : ''}` : s.state;
      ctx.font = s.state === 'D' ? FONT_BOLD : FONT;
      const label = fit(ctx, text, w - 6);
      if (label) {
        ctx.fillStyle = s.state === 'D' ? '#000' : textOn(fill);
        if (s.state === 'D') {
          // White box behind the text so it reads over the hatch.
          const tw = ctx.measureText(label).width;
          ctx.fillStyle = 'rgba(255,255,255,0.9)';
          ctx.fillRect(Math.max(x0, GUTTER) + 2, y + 1, tw + 6, STATE_H - 2);
          ctx.fillStyle = '#b71c1c';
        }
        ctx.fillText(label, Math.max(x0, GUTTER) + 5, y + STATE_H / 2 + 0.5);
      }
      ctx.font = FONT;
    }
  }
}

function drawCounters(ctx: CanvasRenderingContext2D, f: LaneFrame, lane: LaneLayout, X: Xf, clampX: Xf, d: LanesDrawInput, plotW: number): void {
  const top = lane.y + (lane.counterY as number) + 2;
  const h = COUNTER_H - 3;
  const rightEdge = clampX(X(Math.min(d.endNs, d.view.toNs)));
  let i = 0;
  for (const [name, pts] of f.counters) {
    const color = COUNTER_COLORS[i % COUNTER_COLORS.length];
    const first = i === 0;
    i++;
    if (!pts.length) continue;
    let max = 0;
    for (const p of pts) if (p.max > max) max = p.max;
    const Y = (v: number) => top + h - (max > 0 ? (v / max) * h : 0);
    ctx.beginPath();
    let px = clampX(X(pts[0].t));
    ctx.moveTo(px, Y(pts[0].last));
    for (let j = 1; j < pts.length; j++) {
      const x = clampX(X(pts[j].t));
      ctx.lineTo(x, Y(pts[j - 1].last));
      ctx.lineTo(x, Y(pts[j].last));
      px = x;
    }
    ctx.lineTo(Math.max(px, rightEdge), Y(pts[pts.length - 1].last));
    if (first) {
      // The first counter as an area, the others as lines over it.
      ctx.strokeStyle = color;
      ctx.lineWidth = 1.25;
      ctx.stroke();
      ctx.lineTo(Math.max(px, rightEdge), top + h);
      ctx.lineTo(clampX(X(pts[0].t)), top + h);
      ctx.closePath();
      ctx.globalAlpha = 0.18;
      ctx.fillStyle = color;
      ctx.fill();
      ctx.globalAlpha = 1;
    } else {
      ctx.strokeStyle = color;
      ctx.lineWidth = 1.25;
      ctx.stroke();
    }
    // Min/max within a bucket as a bar, so a spike narrower than a pixel still shows.
    ctx.fillStyle = color;
    for (const p of pts) {
      if (p.max !== p.min) {
        const x = clampX(X(p.t));
        ctx.fillRect(x, Y(p.max), 1, Math.max(1, Y(p.min) - Y(p.max)));
      }
    }
    // Scale: the lane's max, at the right edge.
    if (first && plotW > 200) {
      const label = `${name} max ${max}`;
      ctx.font = FONT;
      const tw = ctx.measureText(label).width;
      ctx.fillStyle = 'rgba(255,255,255,0.8)';
      ctx.fillRect(GUTTER + plotW - tw - 8, top, tw + 6, 12);
      ctx.fillStyle = '#555';
      ctx.fillText(label, GUTTER + plotW - tw - 5, top + 6);
    }
  }
}

function drawSpans(ctx: CanvasRenderingContext2D, f: LaneFrame, lane: LaneLayout, X: Xf, clampX: Xf, endNs: Ns): void {
  const base = lane.y + (lane.spanY as number);
  for (const s of f.spans) {
    const y = base + s.depth * SPAN_ROW_H;
    const x0 = clampX(X(s.t0));
    const x1 = clampX(X(s.t1 ?? endNs));
    const w = Math.max(1, x1 - x0);
    const isRelease = s.name === 'release()';
    const fill = spanColor(s.name);
    ctx.fillStyle = fill;
    ctx.fillRect(x0, y + 1, w, SPAN_ROW_H - 2);
    if (isRelease) {
      ctx.strokeStyle = '#6d0c33';
      ctx.lineWidth = 1.5;
      ctx.strokeRect(x0 + 0.75, y + 1.75, Math.max(0.5, w - 1.5), SPAN_ROW_H - 3.5);
    }
    if (s.t1 === null && w > 4) {
      // Still open when the run ended: an arrow says it never returned.
      ctx.fillStyle = isRelease ? '#6d0c33' : '#333';
      ctx.beginPath();
      ctx.moveTo(x1 - 6, y + 2);
      ctx.lineTo(x1, y + SPAN_ROW_H / 2);
      ctx.lineTo(x1 - 6, y + SPAN_ROW_H - 2);
      ctx.fill();
    }
    if (w > 24) {
      const dur = (s.t1 ?? endNs) - s.t0;
      const text = isRelease
        ? `release()  ${s.t1 === null ? 'never returned' : formatNs(dur)}`
        : `${s.name}${s.count > 1 ? ` ×${s.count}` : ''}`;
      ctx.font = isRelease ? FONT_BOLD : FONT;
      const vx0 = Math.max(x0, GUTTER);
      const label = fit(ctx, text, x1 - vx0 - 6);
      if (label) {
        ctx.fillStyle = textOn(fill);
        ctx.fillText(label, vx0 + 3, y + SPAN_ROW_H / 2 + 0.5);
      }
      ctx.font = FONT;
    }
  }
}

function drawInstants(ctx: CanvasRenderingContext2D, f: LaneFrame, lane: LaneLayout, X: Xf, d: LanesDrawInput, alarmXs: { x: number; color: string }[]): void {
  const rowY = lane.y + (lane.instantY ?? lane.h - INSTANT_H - 3);
  // Ordinary instants: ticks, darker where a bucket merged many.
  let lastX = -1;
  for (const e of f.instants) {
    if (ALARM_INSTANTS[e.kind] || NOTABLE_INSTANTS[e.kind]) continue;
    const x = Math.round(X(e.t));
    if (x === lastX && e.count === 1) continue;
    lastX = x;
    ctx.fillStyle = e.count > 1 ? '#37474f' : '#78909c';
    ctx.fillRect(x, rowY + 1, 1, INSTANT_H - 2);
  }
  // Notable instants: a coloured tick and, where there is room, a short label.
  let labelEnd = -Infinity;
  for (const e of f.instants) {
    const n = NOTABLE_INSTANTS[e.kind];
    if (!n) continue;
    const x = Math.round(X(e.t));
    ctx.fillStyle = n.color;
    ctx.fillRect(x - 1, lane.y + 2, 2, lane.h - 5);
    ctx.beginPath();
    ctx.moveTo(x - 4, lane.y + 2);
    ctx.lineTo(x + 4, lane.y + 2);
    ctx.lineTo(x, lane.y + 7);
    ctx.fill();
    const text = d.labels.get(e.seq) ?? n.label;
    if (x > labelEnd + 4) {
      ctx.font = FONT;
      const tw = ctx.measureText(text).width;
      // Near the right edge the label goes to the left of its tick.
      const lx = x + 8 + tw > d.width ? Math.max(GUTTER, x - 8 - tw) : x + 4;
      ctx.fillStyle = 'rgba(255,255,255,0.85)';
      ctx.fillRect(lx, rowY - 1, tw + 4, INSTANT_H + 2);
      ctx.fillStyle = n.color;
      ctx.fillText(text, lx + 2, rowY + INSTANT_H / 2);
      labelEnd = Math.max(x, lx + 4 + tw);
    }
  }
  // Alarm instants: a big marker each; labels of markers closer than their text share one box.
  const groups: { x: number; texts: string[]; color: string; end: number }[] = [];
  ctx.font = FONT_BOLD;
  for (const e of f.instants) {
    const a = ALARM_INSTANTS[e.kind];
    if (!a) continue;
    const x = Math.round(X(e.t));
    alarmXs.push({ x, color: a.color });
    ctx.fillStyle = a.color;
    ctx.fillRect(x - 1, lane.y + 1, 3, lane.h - 3);
    ctx.beginPath();
    ctx.moveTo(x - 7, lane.y + 1);
    ctx.lineTo(x + 8, lane.y + 1);
    ctx.lineTo(x + 0.5, lane.y + 12);
    ctx.closePath();
    ctx.fill();
    if (d.selectedSeq === e.seq) {
      ctx.strokeStyle = CURSOR_COLOR;
      ctx.lineWidth = 2;
      ctx.stroke();
    }
    const text = d.labels.get(e.seq) ?? `${a.label}${e.count > 1 ? ` ×${e.count}` : ''}`;
    const g = groups[groups.length - 1];
    if (g && x < g.end) {
      g.texts.push(text);
      g.end = g.x + 10 + ctx.measureText(g.texts.join('  ·  ')).width + 8;
    } else {
      groups.push({ x, texts: [text], color: a.color, end: x + 10 + ctx.measureText(text).width + 8 });
    }
  }
  for (const g of groups) {
    const text = g.texts.join('  ·  ');
    const tw = ctx.measureText(text).width;
    // Near the right edge the label goes to the left of its marker.
    const bx = g.x + 10 + tw + 8 > d.width ? Math.max(GUTTER, g.x - 10 - tw - 8) : g.x + 10;
    const by = lane.y + 2;
    ctx.fillStyle = g.color;
    ctx.fillRect(bx, by, tw + 8, 14);
    ctx.fillStyle = '#fff';
    ctx.fillText(text, bx + 4, by + 7.5);
  }
  ctx.font = FONT;
}

/** Extras of the ruler: where its zero is (the alignment point), and annotation flags. */
export interface RulerOptions {
  /** Tick labels read `t - originNs` (default 0: the run's own time). */
  originNs?: Ns;
  marks?: readonly RulerMark[];
}

/** Draw the time ruler: ticks in the unit the zoom suits, the trigger and the cursor. */
export function drawRuler(ctx: CanvasRenderingContext2D, width: number, view: Viewport, cursorNs: Ns | null, triggerNs: Ns | null, opts: RulerOptions = {}): void {
  const plotW = Math.max(1, width - GUTTER);
  const origin = opts.originNs ?? 0;
  const X = (t: Ns) => GUTTER + xOf(view, t, plotW);
  ctx.clearRect(0, 0, width, RULER_H);
  ctx.fillStyle = '#eef1f5';
  ctx.fillRect(0, 0, width, RULER_H);
  ctx.fillStyle = '#c9ced6';
  ctx.fillRect(0, RULER_H - 1, width, 1);
  ctx.font = FONT;
  ctx.textBaseline = 'middle';
  ctx.fillStyle = '#4b5563';
  ctx.fillText(`view ${formatNs(view.toNs - view.fromNs)}`, 10, RULER_H / 2);
  // Ticks fall on round times relative to the origin: aligned rulers read the same numbers.
  const rel = { fromNs: view.fromNs - origin, toNs: view.toNs - origin };
  const { step, times } = ticks(rel.fromNs, rel.toNs, plotW);
  // One unit for the whole ruler: the size of the latest time shown.
  const unitRef = Math.max(Math.abs(rel.fromNs), Math.abs(rel.toNs), step);
  for (const t of times) {
    const x = Math.round(X(t + origin)) + 0.5;
    if (x < GUTTER) continue;
    ctx.fillStyle = '#9aa3ad';
    ctx.fillRect(x, RULER_H - 9, 1, 8);
    ctx.fillStyle = '#374151';
    ctx.fillText(`${origin !== 0 && t > 0 ? '+' : ''}${tickLabel(t, step, unitRef)}`, x + 3, RULER_H / 2 - 3);
  }
  // Minor ticks at a fifth of the step.
  ctx.fillStyle = '#c3c9d1';
  for (let t = Math.ceil(rel.fromNs / (step / 5)) * (step / 5); t <= rel.toNs; t += step / 5) {
    const x = Math.round(X(t + origin)) + 0.5;
    if (x >= GUTTER) ctx.fillRect(x, RULER_H - 4, 1, 3);
  }
  if (triggerNs !== null) {
    const x = X(triggerNs);
    if (x >= GUTTER && x <= width) {
      ctx.fillStyle = '#263238';
      ctx.beginPath();
      ctx.moveTo(x - 5, RULER_H - 1);
      ctx.lineTo(x + 5, RULER_H - 1);
      ctx.lineTo(x, RULER_H - 8);
      ctx.fill();
    }
  }
  for (const m of opts.marks ?? []) {
    const x = Math.round(X(m.tNs));
    if (x < GUTTER || x > width) continue;
    // A small flag: the bookmark's pole and pennant.
    ctx.fillStyle = MARK_COLOR[m.kind];
    ctx.fillRect(x, 2, 1.5, RULER_H - 4);
    ctx.beginPath();
    ctx.moveTo(x + 1, 2);
    ctx.lineTo(x + 10, 6);
    ctx.lineTo(x + 1, 10);
    ctx.fill();
  }
  if (cursorNs !== null) {
    const x = X(cursorNs);
    if (x >= GUTTER && x <= width) {
      const label = `${origin !== 0 && cursorNs > origin ? '+' : ''}${formatNs(cursorNs - origin, 6)}`;
      ctx.font = FONT_BOLD;
      const tw = ctx.measureText(label).width;
      const bx = Math.min(Math.max(x - tw / 2 - 4, GUTTER), width - tw - 8);
      ctx.fillStyle = CURSOR_COLOR;
      ctx.fillRect(Math.round(x) - 1, 0, 2, RULER_H);
      ctx.fillRect(bx, RULER_H - 15, tw + 8, 14);
      ctx.fillStyle = '#fff';
      ctx.fillText(label, bx + 4, RULER_H - 8);
    }
  }
}

/** The alarm or notable instant nearest to `x` in `lane`, within `slop` px; else any instant. */
export function instantAt(f: LaneFrame | undefined, x: number, view: Viewport, width: number, slop = 6): { seq: number; t: Ns } | null {
  if (!f) return null;
  const plotW = Math.max(1, width - GUTTER);
  let best: { seq: number; t: Ns; d: number; rank: number } | null = null;
  for (const e of f.instants) {
    const ex = GUTTER + xOf(view, e.t, plotW);
    const dx = Math.abs(ex - x);
    if (dx > slop) continue;
    const rank = ALARM_INSTANTS[e.kind] ? 0 : NOTABLE_INSTANTS[e.kind] ? 1 : 2;
    if (!best || rank < best.rank || (rank === best.rank && dx < best.d)) best = { seq: e.seq, t: e.t, d: dx, rank };
  }
  return best ? { seq: best.seq, t: best.t } : null;
}
