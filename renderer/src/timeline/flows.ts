import type { Ns, WhyDto, WhyRelation } from '../../../main/contract';
import { GUTTER } from './draw';
import type { LaneLayout } from './lanes';
import { xOf, type Viewport } from './viewport';

/** One arrow over the lanes: from the cause (an event on lane `fromActor`) to what it explains. */
export interface FlowArrow {
  fromActor: number;
  fromNs: Ns;
  toActor: number;
  toNs: Ns;
  relation: WhyRelation;
}

/** Arrow colours per relation (also the legend of the "Why" panel). */
export const FLOW_COLOR: Record<WhyRelation, string> = {
  waits_on: '#6a1b9a',
  held_by: '#c2185b',
  because_of: '#1565c0',
  scheduled_by: '#546e7a',
};

/**
 * The arrows of an explanation: one per link between its steps, drawn from the step that explains
 * (the cause) to the step it explains, so they read the way things happened.
 */
export function flowsOf(w: WhyDto | null): FlowArrow[] {
  if (!w) return [];
  const by = new Map(w.steps.map((s) => [s.seq, s]));
  const out: FlowArrow[] = [];
  for (const l of w.links) {
    const effect = by.get(l.from);
    const cause = by.get(l.to);
    if (!effect || !cause) continue;
    out.push({ fromActor: cause.actorId, fromNs: cause.tNs, toActor: effect.actorId, toNs: effect.tNs, relation: l.relation });
  }
  return out;
}

/**
 * Draw the arrows over the lanes (Perfetto-style flows): a curve from one event's lane to the
 * other's with a head at the effect, clipped to the plot. Lanes not laid out, or both ends off
 * screen on the same side, draw nothing. Synchronous, as every canvas drawing here.
 */
export function drawFlows(ctx: CanvasRenderingContext2D, arrows: readonly FlowArrow[], lanes: readonly LaneLayout[], view: Viewport, width: number): void {
  if (arrows.length === 0) return;
  const plotW = Math.max(1, width - GUTTER);
  const laneY = new Map(lanes.map((l) => [l.track.id, l.y + Math.min(l.h / 2, 9)]));
  ctx.save();
  ctx.beginPath();
  ctx.rect(GUTTER, 0, plotW, ctx.canvas.height);
  ctx.clip();
  ctx.lineWidth = 1.5;
  for (const a of arrows) {
    const y0 = laneY.get(a.fromActor);
    const y1 = laneY.get(a.toActor);
    if (y0 === undefined || y1 === undefined) continue;
    const x0 = GUTTER + xOf(view, a.fromNs, plotW);
    const x1 = GUTTER + xOf(view, a.toNs, plotW);
    if ((x0 < GUTTER && x1 < GUTTER) || (x0 > width && x1 > width)) continue;
    const color = FLOW_COLOR[a.relation];
    ctx.strokeStyle = color;
    ctx.fillStyle = color;
    // A curve that leaves and enters horizontally; on one lane it bows upwards to stay visible.
    const bend = Math.max(24, Math.min(120, Math.abs(x1 - x0) / 2));
    const lift = y0 === y1 ? -14 : 0;
    ctx.beginPath();
    ctx.moveTo(x0, y0);
    ctx.bezierCurveTo(x0 + bend, y0 + lift, x1 - bend, y1 + lift, x1, y1);
    ctx.stroke();
    // The head, pointing along the curve's last tangent (from its last control point).
    const ang = Math.atan2(y1 - (y1 + lift), x1 - (x1 - bend));
    ctx.beginPath();
    ctx.moveTo(x1, y1);
    ctx.lineTo(x1 - 8 * Math.cos(ang - 0.45), y1 - 8 * Math.sin(ang - 0.45));
    ctx.lineTo(x1 - 8 * Math.cos(ang + 0.45), y1 - 8 * Math.sin(ang + 0.45));
    ctx.closePath();
    ctx.fill();
    ctx.beginPath();
    ctx.arc(x0, y0, 2.5, 0, Math.PI * 2);
    ctx.fill();
  }
  ctx.restore();
}
