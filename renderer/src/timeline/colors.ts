/** Colours of the timeline. One place, so the legend and the canvas agree. */

/** Task states: R runs (calm green), S sleeps (grey-blue), D is the alarm (strong red, hatched). */
export const TASK_STATE_COLOR: Record<string, string> = {
  R: '#43a047',
  S: '#b0bec5',
  D: '#d50000',
  Z: '#5d4037',
  X: 'transparent',
};

export const DMA_STATE_COLOR: Record<string, string> = {
  RUNNING: '#1e88e5',
  STOPPING: '#fb8c00',
  STOPPED: '#9e9e9e',
  IDLE: '#cfd8dc',
};

export const PASID_ENTRY_COLOR: Record<string, string> = {
  PRESENT: '#2e7d32',
  NOT_PRESENT_FPD: '#fbc02d',
  CLEARED: '#e0e0e0',
};

/** The span the lab is about: release() must be seen from across the room. */
export const RELEASE_COLOR = '#c2185b';

const SPAN_COLOR: Record<string, string> = {
  'release()': RELEASE_COLOR,
  flush_workqueue: '#6a1b9a',
  synchronize_srcu: '#4527a0',
  oom_reap: '#ef6c00',
  held: '#795548',
  work: '#00796b',
};

const FN_PALETTE = ['#90caf9', '#a5d6a7', '#ffe082', '#ce93d8', '#80cbc4', '#ffab91', '#b39ddb', '#c5e1a5', '#f48fb1', '#bcaaa4'];

/** Colour of a span: a fixed one for the named kernel mechanisms, a stable pastel for functions. */
export function spanColor(name: string): string {
  const c = SPAN_COLOR[name];
  if (c) return c;
  let h = 0;
  for (let i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) | 0;
  return FN_PALETTE[Math.abs(h) % FN_PALETTE.length];
}

/** WCAG relative luminance of a #rrggbb colour. */
export function luminance(hex: string): number {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) return 0;
  const [r, g, b] = [m[1], m[2], m[3]].map((x) => {
    const c = parseInt(x, 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG contrast ratio of two #rrggbb colours (1 to 21). */
export function contrast(a: string, b: string): number {
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}

/** The text colour for a label on `fill`: near-black or white, whichever contrasts more (WCAG). */
const textOnCache = new Map<string, string>();
export function textOn(fill: string): string {
  // Asked for every label drawn, of a few fills: computed once per fill.
  let out = textOnCache.get(fill);
  if (out === undefined) {
    out = !/^#[0-9a-f]{6}$/i.test(fill) ? '#000' : contrast(fill, '#1a1a1a') >= contrast(fill, '#ffffff') ? '#1a1a1a' : '#ffffff';
    if (textOnCache.size > 1000) textOnCache.clear();
    textOnCache.set(fill, out);
  }
  return out;
}

export function stateColor(state: string): string {
  return TASK_STATE_COLOR[state] ?? DMA_STATE_COLOR[state] ?? PASID_ENTRY_COLOR[state] ?? '#90a4ae';
}

/** Instants that must not be missed: a marker across the lane, a label, a line across all lanes. */
export const ALARM_INSTANTS: Record<string, { color: string; label: string }> = {
  oom_kill: { color: '#b71c1c', label: 'OOM kill' },
  deadlock: { color: '#000000', label: 'deadlock' },
  hung_task: { color: '#bf360c', label: 'hung_task' },
  invariant: { color: '#6a1b9a', label: 'invariant broken' },
  oom_none: { color: '#b71c1c', label: 'no OOM victim left' },
};

/** Instants worth a small labelled marker on their lane. */
export const NOTABLE_INSTANTS: Record<string, { color: string; label: string }> = {
  // Marked even when the call is too short to see as a span (the quiet model's microseconds).
  release_begin: { color: RELEASE_COLOR, label: 'release() entered' },
  signal: { color: '#d50000', label: 'signal' },
  mm_freed: { color: '#2e7d32', label: 'memory freed' },
  mm_free: { color: '#33691e', label: 'mm freed' },
  oom_skip: { color: '#ad1457', label: 'skip' },
  oom_abort: { color: '#ad1457', label: 'abort' },
  pasid_free: { color: '#2e7d32', label: 'PASID freed' },
  pasid_alloc: { color: '#1565c0', label: 'PASID alloc' },
  trigger: { color: '#263238', label: 'trigger' },
  prq_overflow: { color: '#d50000', label: 'PRQ overflow' },
  dmar_fault: { color: '#d50000', label: 'DMAR fault' },
  alloc_stall: { color: '#bf360c', label: 'alloc stall' },
};

export const COUNTER_COLORS = ['#1565c0', '#b84c00', '#2e7d32', '#6a1b9a'];
export const CURSOR_COLOR = '#0d47a1';

const readable = new Map<string, string>();
/**
 * `color`, lightened (on a dark background) or darkened (on a light one) just enough to read at
 * 4.5:1 on `bg`: canvas labels keep their hue in both themes.
 */
export function readableOn(color: string, bg: string): string {
  const key = `${color}|${bg}`;
  const hit = readable.get(key);
  if (hit) return hit;
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color);
  let out = color;
  if (m && /^#[0-9a-f]{6}$/i.test(bg)) {
    const rgb = [m[1], m[2], m[3]].map((x) => parseInt(x, 16));
    const toward = luminance(bg) < 0.2 ? 255 : 0;
    for (let f = 0; f <= 1.0001 && contrast(out, bg) < 4.5; f += 0.05) {
      out = `#${rgb.map((c) => Math.round(c + (toward - c) * f).toString(16).padStart(2, '0')).join('')}`;
    }
  }
  readable.set(key, out);
  return out;
}
