import type { Ns } from '../../../main/contract';
import {
  ALARM_INSTANTS,
  COUNTER_COLORS,
  CURSOR_COLOR,
  NOTABLE_INSTANTS,
  readableOn,
  spanColor,
  stateColor,
  textOn,
} from './colors';
import type { LaneFrame } from './frame';
import type { LaneRow } from './groups';
import { COUNTER_H, firstLaneBelow, INSTANT_H, SPAN_ROW_H, STATE_H, type LaneLayout } from './lanes';
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
  /** Index in `lanes` of the keyboard's lane (outlined). */
  focused?: number | null;
  /** The selected span, state, instant or sample: outlined. */
  selection?: DrawSelection | null;
  /** A Shift-drag area: lanes y0..y1 (lane coordinates) × time. */
  area?: { fromNs: Ns; toNs: Ns; y0: number; y1: number } | null;
  /** Colours (light or dark). */
  theme?: CanvasTheme;
}

/** What of the selection the canvas outlines. */
export interface DrawSelection {
  trackId: number;
  t0: Ns;
  t1: Ns | null;
  depth?: number;
  seq?: number;
}

/** The canvas's own colours, light or dark (text contrast ≥ 4.5:1 against its backgrounds). */
export interface CanvasTheme {
  bg: string;
  bgAlt: string;
  gutter: string;
  sep: string;
  text: string;
  muted: string;
  header: string;
  ruler: string;
  rulerText: string;
  tick: string;
  focus: string;
  labelBg: string;
}

export const LIGHT_THEME: CanvasTheme = {
  bg: '#ffffff',
  bgAlt: '#fafbfc',
  gutter: '#f3f4f6',
  sep: '#e3e6ea',
  text: '#1f2933',
  muted: '#4b5563',
  header: '#e5e9f0',
  ruler: '#eef1f5',
  rulerText: '#374151',
  tick: '#9aa3ad',
  focus: '#0d47a1',
  labelBg: 'rgba(255,255,255,0.9)',
};

export const DARK_THEME: CanvasTheme = {
  bg: '#15191f',
  bgAlt: '#1a1f26',
  gutter: '#20262e',
  sep: '#2d343d',
  text: '#e6e9ee',
  muted: '#b4bcc7',
  header: '#2a313b',
  ruler: '#1d232b',
  rulerText: '#d7dce3',
  tick: '#6b7683',
  focus: '#90caf9',
  labelBg: 'rgba(21,25,31,0.9)',
};

/** A bookmark or note on the ruler: a flag with its text, and a line across the lanes. */
export interface RulerMark {
  tNs: Ns;
  text: string;
  kind: 'bookmark' | 'note';
}

export const MARK_COLOR = { bookmark: '#1565c0', note: '#6a1b9a' } as const;
/** Colour of a lane that differs between the two runs of the compare view. */
export const DIFF_COLOR = '#f59e0b';

/** Text widths by font and text: labels repeat from frame to frame, and measuring is the costly part of drawing them. */
const widths = new Map<string, Map<string, number>>();
let widthsHeld = 0;
function textW(ctx: CanvasRenderingContext2D, text: string): number {
  // By font, then text: no key string is built per lookup.
  let byText = widths.get(ctx.font);
  if (!byText) widths.set(ctx.font, (byText = new Map()));
  let w = byText.get(text);
  if (w === undefined) {
    if (widthsHeld > 20000) {
      for (const m of widths.values()) m.clear();
      widthsHeld = 0;
    }
    w = ctx.measureText(text).width;
    byText.set(text, w);
    widthsHeld++;
  }
  return w;
}

/** Fit `text` into `maxW` pixels, with an ellipsis if it had to be cut; '' if nothing fits. */
function fit(ctx: CanvasRenderingContext2D, text: string, maxW: number): string {
  if (maxW < 8) return '';
  if (textW(ctx, text) <= maxW) return text;
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (textW(ctx, text.slice(0, mid) + '…') <= maxW) lo = mid;
    else hi = mid - 1;
  }
  return lo === 0 ? '' : text.slice(0, lo) + '…';
}

/** Fit a name, cutting the middle: the end of `kworker/u:iopf_queue-9:18` tells lanes apart. */
function fitMiddle(ctx: CanvasRenderingContext2D, text: string, maxW: number): string {
  if (textW(ctx, text) <= maxW) return text;
  const tail = text.slice(-Math.min(10, Math.floor(text.length / 2)));
  const head = fit(ctx, text.slice(0, text.length - tail.length), maxW - textW(ctx, tail));
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
  const th = d.theme ?? LIGHT_THEME;
  ctx.clearRect(0, d.visibleTop, width, Math.min(height, d.visibleBottom) - d.visibleTop);
  ctx.fillStyle = th.bg;
  ctx.fillRect(0, d.visibleTop, width, d.visibleBottom - d.visibleTop);
  ctx.font = FONT;
  ctx.textBaseline = 'middle';
  const alarmXs: { x: number; color: string }[] = [];

  for (let idx = firstLaneBelow(d.lanes, d.visibleTop); idx < d.lanes.length; idx++) {
    const lane = d.lanes[idx];
    if (lane.y > d.visibleBottom) break;
    const y0 = lane.y;
    const row = lane.row;
    const header = row?.kind === 'group';
    // Lane background and separator.
    ctx.fillStyle = header ? th.header : idx % 2 ? th.bgAlt : th.bg;
    ctx.fillRect(GUTTER, y0, plotW, lane.h);
    ctx.fillStyle = th.sep;
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
      if (lane.counterY !== null) drawCounterLegend(ctx, f, lane, th);
    }
    const sel = d.selection;
    if (sel && sel.trackId === lane.track.id) {
      // The selection: a focus-coloured outline around its span, state or marker.
      const x0 = clampX(X(sel.t0));
      const x1 = clampX(X(sel.t1 ?? (sel.seq !== undefined ? sel.t0 : d.endNs)));
      const sy = sel.depth !== undefined && lane.spanY !== null ? y0 + lane.spanY + sel.depth * SPAN_ROW_H : y0 + 1;
      const sh = sel.depth !== undefined && lane.spanY !== null ? SPAN_ROW_H : lane.h - 3;
      ctx.strokeStyle = th.focus;
      ctx.lineWidth = 2;
      ctx.strokeRect(Math.min(x0, x1) - 3, sy, Math.max(6, Math.abs(x1 - x0) + 6), sh);
    }
    ctx.restore();

    // Gutter: the lane's name, and what its counters are.
    ctx.fillStyle = header ? th.header : th.gutter;
    ctx.fillRect(0, y0, GUTTER, lane.h - 1);
    if (row?.kind === 'group') {
      drawGroupGutter(ctx, lane, row, th);
      if (d.focused === idx) focusRing(ctx, lane, width, th);
      continue;
    }
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
    const indent = row?.kind === 'lane' && row.groupId !== null ? 18 : 10;
    ctx.font = lane.track.type === 'task' ? FONT_BOLD : FONT;
    ctx.fillStyle = th.text;
    const pin = row?.kind === 'lane' && row.pinned ? '📌 ' : '';
    ctx.fillText(fitMiddle(ctx, pin + lane.track.name, GUTTER - indent - 44), indent, y0 + Math.min(lane.h / 2, 10));
    ctx.font = FONT;
    ctx.fillStyle = th.muted;
    const tag = differs ? `≠ ${lane.track.type}` : lane.track.type;
    ctx.fillText(tag, GUTTER - 6 - textW(ctx, tag), y0 + Math.min(lane.h / 2, 10));
    if (d.focused === idx) focusRing(ctx, lane, width, th);
  }

  if (d.area) {
    const a = d.area;
    const x0 = clampX(X(Math.min(a.fromNs, a.toNs)));
    const x1 = clampX(X(Math.max(a.fromNs, a.toNs)));
    ctx.fillStyle = 'rgba(13, 71, 161, 0.12)';
    ctx.fillRect(x0, a.y0, Math.max(1, x1 - x0), a.y1 - a.y0);
    ctx.strokeStyle = th.focus;
    ctx.lineWidth = 1.5;
    ctx.setLineDash([5, 3]);
    ctx.strokeRect(x0 + 0.5, a.y0 + 0.5, Math.max(1, x1 - x0 - 1), a.y1 - a.y0 - 1);
    ctx.setLineDash([]);
  }

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

/** The keyboard's lane: an outline inside its row. */
function focusRing(ctx: CanvasRenderingContext2D, lane: LaneLayout, width: number, th: CanvasTheme): void {
  ctx.strokeStyle = th.focus;
  ctx.lineWidth = 2;
  ctx.setLineDash([]);
  ctx.strokeRect(1, lane.y + 1, width - 2, lane.h - 3);
}

/** A group's header (open) or summary (folded) gutter: ▾/▸, its name, how many lanes, an alarm dot. */
function drawGroupGutter(ctx: CanvasRenderingContext2D, lane: LaneLayout, row: Extract<LaneRow, { kind: 'group' }>, th: CanvasTheme): void {
  const y = lane.y + Math.min(lane.h / 2, 10);
  ctx.font = FONT_BOLD;
  ctx.fillStyle = th.text;
  ctx.fillText(row.collapsed ? '▸' : '▾', 4, y);
  const count = `${row.shown} lane${row.shown === 1 ? '' : 's'}`;
  ctx.font = FONT;
  const cw = textW(ctx, count);
  ctx.font = FONT_BOLD;
  ctx.fillText(fitMiddle(ctx, row.group.name, GUTTER - 30 - cw - (row.alarm < 2 ? 10 : 0)), 16, y);
  ctx.font = FONT;
  ctx.fillStyle = th.muted;
  ctx.fillText(count, GUTTER - 6 - cw, y);
  if (row.alarm < 2) {
    ctx.fillStyle = row.alarm === 0 ? ALARM_INSTANTS.oom_kill.color : NOTABLE_INSTANTS.release_begin.color;
    ctx.beginPath();
    ctx.arc(GUTTER - 14 - cw, y, 3.5, 0, Math.PI * 2);
    ctx.fill();
  }
}

/** The counters' names over their plot, in their colours, on a backing box (never cut by the gutter). */
function drawCounterLegend(ctx: CanvasRenderingContext2D, f: LaneFrame, lane: LaneLayout, th: CanvasTheme): void {
  const names = [...f.counters.keys()];
  if (!names.length) return;
  ctx.font = FONT;
  const y = lane.y + (lane.counterY as number) + 7;
  let x = GUTTER + 4;
  const total = names.reduce((w, n) => w + textW(ctx, n) + 10, 0);
  ctx.fillStyle = th.labelBg;
  ctx.fillRect(x - 2, y - 6, total, 12);
  names.forEach((n, i) => {
    ctx.fillStyle = readableOn(COUNTER_COLORS[i % COUNTER_COLORS.length], th.bg);
    ctx.fillText(n, x, y);
    x += textW(ctx, n) + 10;
  });
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
          const tw = textW(ctx, label);
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
      const tw = textW(ctx, label);
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
    if (isRelease && w <= 24) {
      // A release() too short to hold its label (the quiet design's microseconds): the label goes beside it.
      const text = `release() ${s.t1 === null ? 'never returned' : formatNs(s.t1 - s.t0)}`;
      ctx.font = FONT_BOLD;
      const tw = textW(ctx, text);
      const lx = x1 + 4 + tw > ctx.canvas.width ? x0 - tw - 6 : x1 + 3;
      ctx.fillStyle = 'rgba(255,255,255,0.92)';
      ctx.fillRect(lx - 1, y + 1, tw + 4, SPAN_ROW_H - 2);
      ctx.fillStyle = '#6d0c33';
      ctx.fillText(text, lx + 1, y + SPAN_ROW_H / 2 + 0.5);
      ctx.font = FONT;
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

let tickCols = new Uint8Array(2048);

function drawInstants(ctx: CanvasRenderingContext2D, f: LaneFrame, lane: LaneLayout, X: Xf, d: LanesDrawInput, alarmXs: { x: number; color: string }[]): void {
  const rowY = lane.y + (lane.instantY ?? lane.h - INSTANT_H - 3);
  // Ordinary instants: ticks, darker where a bucket merged many. One mark per pixel column, and a
  // run of adjacent columns alike is one rectangle (a busy lane is a few rectangles, not thousands).
  const cols = d.width + 2;
  const tick = tickCols.length >= cols ? tickCols.subarray(0, cols) : (tickCols = new Uint8Array(cols));
  tick.fill(0);
  let any = false;
  for (const e of f.instants) {
    if (ALARM_INSTANTS[e.kind] || NOTABLE_INSTANTS[e.kind]) continue;
    const x = Math.round(X(e.t));
    if (x < GUTTER || x >= cols) continue;
    const v = e.count > 1 ? 2 : 1;
    if (tick[x] < v) tick[x] = v;
    any = true;
  }
  if (any) {
    for (let x = GUTTER; x < cols; ) {
      const v = tick[x];
      let e = x + 1;
      while (e < cols && tick[e] === v) e++;
      if (v) {
        ctx.fillStyle = v === 2 ? '#37474f' : '#78909c';
        ctx.fillRect(x, rowY + 1, e - x, INSTANT_H - 2);
      }
      x = e;
    }
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
    // A label that would run into the one before goes right after it (a leader ties it to its
    // tick); release() is always labelled, whatever its neighbours.
    const shifted = x <= labelEnd + 4;
    if (!shifted || labelEnd - x < 300 || e.kind === 'release_begin') {
      ctx.font = FONT;
      const tw = textW(ctx, text);
      const at = shifted ? labelEnd + 8 : x + 4;
      // Near the right edge the label goes to the left of its tick.
      const lx = at + 4 + tw > d.width ? Math.max(GUTTER, x - 8 - tw) : at;
      ctx.fillStyle = d.theme?.labelBg ?? 'rgba(255,255,255,0.85)';
      ctx.fillRect(lx, rowY - 1, tw + 4, INSTANT_H + 2);
      if (shifted && lx > x) {
        ctx.fillStyle = n.color;
        ctx.fillRect(x, rowY + INSTANT_H + 1, lx - x, 1);
      }
      ctx.fillStyle = readableOn(n.color, d.theme?.bg ?? '#ffffff');
      ctx.fillText(text, lx + 2, rowY + INSTANT_H / 2);
      labelEnd = Math.max(labelEnd, x, lx + 4 + tw);
    }
  }
  // Alarm instants: a big marker each. A label that would run into the one before goes on the
  // next line down where the lane has room, else the one before says "+N more" (never merged text).
  const lines = Math.max(1, Math.floor((lane.h - 4) / 15));
  const lineEnd: number[] = new Array<number>(lines).fill(-Infinity);
  const placed: { x: number; text: string; color: string; line: number; more: number; left: boolean; start: number }[] = [];
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
    const tw = textW(ctx, text);
    // Two markers too close for both labels on the right: the earlier one's label flips to its left.
    const prev = placed[placed.length - 1];
    if (prev && prev.line === 0 && !prev.left && x < lineEnd[0]) {
      const pw = textW(ctx, prev.text);
      const before = placed.length > 1 ? placed[placed.length - 2] : null;
      const room = before && before.line === 0 ? before.x + 10 + textW(ctx, before.text) + 12 : GUTTER;
      if (prev.x - 10 - pw - 8 >= room) {
        prev.left = true;
        lineEnd[0] = prev.x + 2;
      }
    }
    const line = lineEnd.findIndex((end) => x >= end);
    if (line < 0) {
      // No free line: the label goes right after the one in the way (its own box, a leader to its marker), or counts as "+N more".
      if (lineEnd[0] - x < 300) {
        placed.push({ x, text, color: a.color, line: 0, more: 0, left: false, start: lineEnd[0] + 6 - 10 });
        lineEnd[0] = lineEnd[0] + 6 + tw + 8 + 4;
      } else if (prev) prev.more++;
      continue;
    }
    placed.push({ x, text, color: a.color, line, more: 0, left: false, start: x });
    lineEnd[line] = x + 10 + tw + 8 + 4;
  }
  for (const g of placed) {
    const text = g.more ? `${g.text}  +${g.more} more` : g.text;
    const tw = textW(ctx, text);
    // Near the right edge (or flipped for a close neighbour) the label goes to the left of its marker.
    const bx = g.left || g.start + 10 + tw + 8 > d.width ? Math.max(GUTTER, g.x - 10 - tw - 8) : g.start + 10;
    const by = lane.y + 2 + g.line * 15;
    if (bx > g.x + 12) {
      ctx.fillStyle = g.color;
      ctx.fillRect(g.x, by + 12, bx - g.x, 1);
    }
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
  theme?: CanvasTheme;
}

/** Draw the time ruler: ticks in the unit the zoom suits, the trigger and the cursor. */
export function drawRuler(ctx: CanvasRenderingContext2D, width: number, view: Viewport, cursorNs: Ns | null, triggerNs: Ns | null, opts: RulerOptions = {}): void {
  const plotW = Math.max(1, width - GUTTER);
  const origin = opts.originNs ?? 0;
  const X = (t: Ns) => GUTTER + xOf(view, t, plotW);
  const th = opts.theme ?? LIGHT_THEME;
  ctx.clearRect(0, 0, width, RULER_H);
  ctx.fillStyle = th.ruler;
  ctx.fillRect(0, 0, width, RULER_H);
  ctx.fillStyle = th.tick;
  ctx.fillRect(0, RULER_H - 1, width, 1);
  ctx.font = FONT;
  ctx.textBaseline = 'middle';
  ctx.fillStyle = th.rulerText;
  ctx.fillText(`view ${formatNs(view.toNs - view.fromNs)}`, 10, RULER_H / 2);
  // Ticks fall on round times relative to the origin: aligned rulers read the same numbers.
  const rel = { fromNs: view.fromNs - origin, toNs: view.toNs - origin };
  const { step, times } = ticks(rel.fromNs, rel.toNs, plotW);
  // One unit for the whole ruler: the size of the latest time shown.
  const unitRef = Math.max(Math.abs(rel.fromNs), Math.abs(rel.toNs), step);
  for (const t of times) {
    const x = Math.round(X(t + origin)) + 0.5;
    if (x < GUTTER) continue;
    ctx.fillStyle = th.tick;
    ctx.fillRect(x, RULER_H - 9, 1, 8);
    ctx.fillStyle = th.rulerText;
    ctx.fillText(`${origin !== 0 && t > 0 ? '+' : ''}${tickLabel(t, step, unitRef)}`, x + 3, RULER_H / 2 - 3);
  }
  // Minor ticks at a fifth of the step.
  ctx.fillStyle = th.tick;
  for (let t = Math.ceil(rel.fromNs / (step / 5)) * (step / 5); t <= rel.toNs; t += step / 5) {
    const x = Math.round(X(t + origin)) + 0.5;
    if (x >= GUTTER) ctx.fillRect(x, RULER_H - 4, 1, 3);
  }
  if (triggerNs !== null) {
    const x = X(triggerNs);
    if (x >= GUTTER && x <= width) {
      ctx.fillStyle = th.rulerText;
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
      const tw = textW(ctx, label);
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
