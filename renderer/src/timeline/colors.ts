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
  work: '#00897b',
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

/** Dark text on light fills, white on strong ones. */
export function textOn(fill: string): string {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(fill);
  if (!m) return '#000';
  const [r, g, b] = [m[1], m[2], m[3]].map((x) => parseInt(x, 16));
  return 0.299 * r + 0.587 * g + 0.114 * b > 150 ? '#1a1a1a' : '#ffffff';
}

export function stateColor(state: string): string {
  return TASK_STATE_COLOR[state] ?? DMA_STATE_COLOR[state] ?? PASID_ENTRY_COLOR[state] ?? '#90a4ae';
}

/** Instants that must not be missed: a marker across the lane, a label, a line across all lanes. */
export const ALARM_INSTANTS: Record<string, { color: string; label: string }> = {
  oom_kill: { color: '#b71c1c', label: 'OOM kill' },
  deadlock: { color: '#000000', label: 'deadlock' },
  hung_task: { color: '#e65100', label: 'hung_task' },
  invariant: { color: '#6a1b9a', label: 'invariant broken' },
  oom_none: { color: '#b71c1c', label: 'no OOM victim left' },
};

/** Instants worth a small labelled marker on their lane. */
export const NOTABLE_INSTANTS: Record<string, { color: string; label: string }> = {
  // Marked even when the call is too short to see as a span (the quiet model's microseconds).
  release_begin: { color: RELEASE_COLOR, label: 'release() entered' },
  signal: { color: '#d50000', label: 'signal' },
  mm_freed: { color: '#2e7d32', label: 'memory freed' },
  mm_free: { color: '#558b2f', label: 'mm freed' },
  oom_skip: { color: '#ad1457', label: 'skip' },
  oom_abort: { color: '#ad1457', label: 'abort' },
  pasid_free: { color: '#2e7d32', label: 'PASID freed' },
  pasid_alloc: { color: '#1565c0', label: 'PASID alloc' },
  trigger: { color: '#263238', label: 'trigger' },
  prq_overflow: { color: '#d50000', label: 'PRQ overflow' },
  dmar_fault: { color: '#d50000', label: 'DMAR fault' },
  alloc_stall: { color: '#ef6c00', label: 'alloc stall' },
};

export const COUNTER_COLORS = ['#1565c0', '#ef6c00', '#2e7d32', '#6a1b9a'];
export const CURSOR_COLOR = '#0d47a1';
