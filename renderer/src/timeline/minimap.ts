import type { AlarmDto, DensityDto, Ns } from '../../../main/contract';
import { ALARM_INSTANTS, CURSOR_COLOR } from './colors';
import { GUTTER, LIGHT_THEME, type CanvasTheme } from './draw';
import type { Viewport } from './viewport';

/** Height of the overview strip above the ruler (CSS px). */
export const MINIMAP_H = 34;

export interface MinimapInput {
  density: DensityDto | undefined;
  alarms: readonly AlarmDto[];
  view: Viewport;
  startNs: Ns;
  endNs: Ns;
  cursorNs: Ns | null;
  theme?: CanvasTheme;
}

/** x of time `t` on the minimap: the whole run across the plot's width. */
function xAt(t: Ns, width: number, startNs: Ns, endNs: Ns): number {
  return GUTTER + ((t - startNs) / Math.max(1, endNs - startNs)) * Math.max(1, width - GUTTER);
}

/** The time under minimap pixel `x`. */
export function minimapTime(x: number, width: number, startNs: Ns, endNs: Ns): Ns {
  const f = Math.min(1, Math.max(0, (x - GUTTER) / Math.max(1, width - GUTTER)));
  return startNs + f * (endNs - startNs);
}

/**
 * The whole run at a glance: event density as bars (square-root scale, so a quiet stretch still
 * shows), the alarms as red ticks, the visible window as a box, the cursor as a line.
 */
export function drawMinimap(ctx: CanvasRenderingContext2D, width: number, d: MinimapInput): void {
  const th = d.theme ?? LIGHT_THEME;
  const h = MINIMAP_H;
  ctx.clearRect(0, 0, width, h);
  ctx.fillStyle = th.ruler;
  ctx.fillRect(0, 0, width, h);
  ctx.font = '11px system-ui, -apple-system, "Segoe UI", sans-serif';
  ctx.textBaseline = 'middle';
  ctx.fillStyle = th.rulerText;
  ctx.fillText('Overview', 10, h / 2);
  const X = (t: Ns) => xAt(t, width, d.startNs, d.endNs);
  const counts = d.density?.counts ?? [];
  const bucket = d.density?.bucketNs ?? 1;
  let max = 0;
  for (const c of counts) if (c > max) max = c;
  if (max > 0) {
    ctx.fillStyle = '#5c7cba';
    // One bar per pixel column: the buckets falling in it, summed.
    const cols = new Float64Array(Math.max(1, Math.ceil(width)));
    counts.forEach((c, i) => {
      const x = Math.floor(X(i * bucket));
      if (x >= GUTTER && x < cols.length) cols[x] += c;
    });
    let cmax = 0;
    for (const c of cols) if (c > cmax) cmax = c;
    for (let x = GUTTER; x < cols.length; x++) {
      if (!cols[x]) continue;
      const bh = Math.max(1, Math.sqrt(cols[x] / cmax) * (h - 8));
      ctx.fillRect(x, h - 3 - bh, 1, bh);
    }
  }
  for (const a of d.alarms) {
    const c = ALARM_INSTANTS[a.kind];
    if (!c) continue;
    const x = Math.round(X(a.tNs));
    ctx.fillStyle = c.color;
    ctx.fillRect(x - 1, 1, 2, h - 2);
  }
  // The visible window.
  const x0 = Math.max(GUTTER, X(d.view.fromNs));
  const x1 = Math.min(width - 1, X(d.view.toNs));
  ctx.fillStyle = 'rgba(13, 71, 161, 0.14)';
  ctx.fillRect(x0, 0, Math.max(2, x1 - x0), h);
  ctx.strokeStyle = th.focus;
  ctx.lineWidth = 1.5;
  ctx.strokeRect(x0 + 0.5, 0.75, Math.max(2, x1 - x0 - 1), h - 1.5);
  if (d.cursorNs !== null) {
    ctx.fillStyle = CURSOR_COLOR;
    ctx.fillRect(Math.round(X(d.cursorNs)), 0, 1, h);
  }
}
