/**
 * The plot as a PNG that stands on its own: a title line, the legend (uPlot's is HTML, not on its
 * canvas) and the chart canvas, on white. Returns a `data:image/png;base64,…` URL.
 */
export function plotPng(chart: HTMLCanvasElement, title: string[], legend: { label: string; color: string; dashed: boolean }[], doc: Document = document): string {
  const dpr = chart.width / Math.max(1, chart.clientWidth || chart.width);
  const head = Math.round((22 * title.length + 34) * dpr);
  const out = doc.createElement('canvas');
  out.width = chart.width;
  out.height = chart.height + head;
  const ctx = out.getContext('2d');
  if (!ctx) throw new Error('This browser cannot draw a PNG (no 2D canvas).');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, out.width, out.height);
  ctx.fillStyle = '#1f2933';
  ctx.textBaseline = 'middle';
  // Each title line in one line: a long one is drawn smaller rather than cut off.
  const room = out.width - 24 * dpr;
  title.forEach((line, i) => {
    const size = i === 0 ? 15 : 13;
    ctx.font = `${i === 0 ? '600 ' : ''}${Math.round(size * dpr)}px system-ui, sans-serif`;
    const w = ctx.measureText(line).width;
    if (w > room) ctx.font = `${i === 0 ? '600 ' : ''}${Math.floor((size * dpr * room) / w)}px system-ui, sans-serif`;
    ctx.fillText(line, 12 * dpr, (14 + 22 * i) * dpr);
  });
  let x = 12 * dpr;
  const y = (22 * title.length + 12) * dpr;
  ctx.font = `${Math.round(13 * dpr)}px system-ui, sans-serif`;
  for (const l of legend) {
    ctx.strokeStyle = l.color;
    ctx.lineWidth = 2.5 * dpr;
    ctx.setLineDash(l.dashed ? [8 * dpr, 5 * dpr] : []);
    ctx.beginPath();
    ctx.moveTo(x, y);
    ctx.lineTo(x + 26 * dpr, y);
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillStyle = '#1f2933';
    ctx.fillText(l.label, x + 32 * dpr, y);
    x += 32 * dpr + ctx.measureText(l.label).width + 24 * dpr;
  }
  ctx.drawImage(chart, 0, head);
  return out.toDataURL('image/png');
}

/** The base64 part of a data URL. */
export function dataUrlBase64(url: string): string {
  const i = url.indexOf(',');
  return i < 0 ? '' : url.slice(i + 1);
}
