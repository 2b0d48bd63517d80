// uPlot (https://github.com/leeoniya/uPlot, MIT): a small (~50 kB), fast, well-kept canvas charting
// library with log scales, custom axes and draw hooks, which is all a sweep plot needs. Its options
// are built here, apart from Vue; the component only mounts it and feeds it data.
import type uPlot from 'uplot';
import { formatNs } from '../timeline/time';
import { formatMetric, formatParam, type PlotModel } from './sweepPlot';

/** The data uPlot draws: the x positions, then each series' means (null: no point yet). */
export function plotData(model: PlotModel): uPlot.AlignedData {
  return [model.xs, ...model.series.map((s) => s.points.map((p) => p?.mean ?? null))];
}

/** A key that changes when the chart must be rebuilt rather than given new data. */
export function plotShape(model: PlotModel): string {
  const c = model.choice;
  return JSON.stringify([c.metric, c.x, c.series, model.xScale, model.yScale, model.xLabels, model.series.map((s) => s.label)]);
}

/** Whiskers: min–max over seeds at each point, nudged apart per series so overlapping ones stay readable. */
function drawWhiskers(model: PlotModel): (u: uPlot) => void {
  return (u) => {
    const ctx = u.ctx;
    const dpr = window.devicePixelRatio || 1;
    ctx.save();
    ctx.lineWidth = 1.5 * dpr;
    const n = model.series.length;
    model.series.forEach((s, si) => {
      if (u.series[si + 1]?.show === false) return;
      ctx.strokeStyle = s.color;
      const dx = (si - (n - 1) / 2) * 4 * dpr;
      s.points.forEach((p, i) => {
        if (!p || p.min === null || p.max === null || p.min === p.max) return;
        const x = u.valToPos(model.xs[i], 'x', true) + dx;
        const y0 = u.valToPos(p.min, 'y', true);
        const y1 = u.valToPos(p.max, 'y', true);
        ctx.beginPath();
        ctx.moveTo(x, y0);
        ctx.lineTo(x, y1);
        ctx.moveTo(x - 4 * dpr, y0);
        ctx.lineTo(x + 4 * dpr, y0);
        ctx.moveTo(x - 4 * dpr, y1);
        ctx.lineTo(x + 4 * dpr, y1);
        ctx.stroke();
      });
    });
    ctx.restore();
  };
}

/** Powers of ten from `min` to `max`. */
export function decades(min: number, max: number): number[] {
  const out: number[] = [];
  if (!(min > 0) || !(max >= min)) return out;
  for (let e = Math.ceil(Math.log10(min) - 1e-9); 10 ** e <= max * (1 + 1e-9); e++) out.push(10 ** e);
  return out;
}

const COUNT_INCRS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000, 1e6, 1e7, 1e8, 1e9];

/** uPlot options for a sweep plot `width` × `height` CSS pixels; `hooks` are the component's. */
export function plotOptions(model: PlotModel, width: number, height: number, hooks: uPlot.Hooks.Arrays): uPlot.Options {
  const c = model.choice;
  const category = model.xScale === 'category';
  const explicitTicks = category || model.xScale === 'log';
  const yFmt = (v: number) => (model.timeMetric ? formatNs(v, 2) : formatMetric(c.metric, v));
  return {
    width,
    height,
    // The chart's own title is the view's heading; the legend is below it.
    legend: { show: true, live: false },
    cursor: { drag: { x: false, y: false, setScale: false }, points: { size: 12, width: 2 }, focus: { prox: 24 } },
    focus: { alpha: 0.35 },
    scales: {
      x: {
        time: false,
        distr: model.xScale === 'log' ? 3 : 1,
        log: 10,
        // Categories and a log axis of a few values: a margin so end points are not on the frame.
        range: category
          ? () => [-0.5, model.xs.length - 0.5]
          : model.xScale === 'log'
            ? (_u, min, max) => [min / 1.6, max * 1.6]
            : undefined,
      },
      y: {
        distr: model.yScale === 'log' ? 3 : 1,
        log: 10,
        // Log: uPlot's own range, snapped to whole decades.
        range:
          model.yScale === 'log'
            ? undefined
            : (_u, min, max) => {
                const lo = Math.min(0, min);
                const hi = max > lo ? max : lo + 1;
                return [lo, hi + (hi - lo) * 0.12];
              },
      },
    },
    axes: [
      {
        label: c.x,
        labelSize: 26,
        stroke: '#1f2933',
        grid: { stroke: '#e5e7eb' },
        // A tick at every swept value (uPlot's log axis would label only powers of ten).
        splits: explicitTicks ? () => model.xs : undefined,
        filter: explicitTicks ? (_u, splits) => splits : undefined,
        values: (_u, splits) =>
          splits.map((v) => {
            if (v === null) return '';
            const i = model.xs.indexOf(v);
            return i >= 0 ? model.xLabels[i] : category ? '' : formatParam(c.x, v);
          }),
      },
      {
        label: c.metric,
        labelSize: 26,
        size: 70,
        stroke: '#1f2933',
        grid: { stroke: '#e5e7eb' },
        incrs: model.timeMetric ? undefined : COUNT_INCRS,
        // Log: a line per decade only (uPlot would add 2..9 × each decade, unlabelled).
        splits: model.yScale === 'log' ? (_u, _i, min, max) => decades(min, max) : undefined,
        values: (_u, splits) => splits.map((v) => (v === null ? '' : yFmt(v))),
      },
    ],
    series: [
      { label: c.x, value: (_u, v) => (v === null ? '—' : model.xLabels[model.xs.indexOf(v)] ?? String(v)) },
      ...model.series.map((s, i): uPlot.Series => ({
        label: s.label,
        stroke: s.color,
        width: 2.5,
        // Every other series dashed, with dots inside the first one's rings: where two coincide
        // (both designs at 0 innocent victims) both stay visible.
        dash: i % 2 === 1 ? [8, 5] : undefined,
        spanGaps: true,
        // Categories are not a continuum: points only, no line between them.
        paths: category ? () => null : undefined,
        points: i % 2 === 0 ? { show: true, size: category ? 16 : 13, width: 2.5, fill: '#ffffff', stroke: s.color } : { show: true, size: category ? 9 : 7, fill: s.color, stroke: s.color },
        value: (_u, v) => (v === null ? '—' : yFmt(v)),
      })),
    ],
    hooks: { ...hooks, draw: [drawWhiskers(model), ...(hooks.draw ?? [])] },
  };
}
