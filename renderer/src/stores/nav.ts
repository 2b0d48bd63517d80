import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { Ns, RunId } from '../../../main/contract';

/** The screens. Another view (e.g. a sweep) adds its name here, a hash route below and a nav link. */
export type Screen = 'archive' | 'new' | 'run' | 'compare' | 'sweeps';

/** Where a deep link asks a view to look: the cursor, the visible range, the alignment. */
export interface LinkAt {
  tNs?: Ns;
  fromNs?: Ns;
  toNs?: Ns;
  align?: string;
}

function parseQuery(q: string): LinkAt {
  const p = new URLSearchParams(q);
  const num = (k: string): number | undefined => {
    const v = p.get(k);
    if (v === null || v.trim() === '') return undefined;
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  };
  const out: LinkAt = {};
  const t = num('t');
  const from = num('from');
  const to = num('to');
  if (t !== undefined) out.tNs = t;
  if (from !== undefined && to !== undefined && to > from) {
    out.fromNs = from;
    out.toNs = to;
  }
  const align = p.get('align');
  if (align) out.align = align;
  return out;
}

/** The query of a deep link: integer ns, so a link reads (and round-trips) exactly. */
export function linkQuery(at: LinkAt): string {
  const parts: string[] = [];
  if (at.align) parts.push(`align=${encodeURIComponent(at.align)}`);
  if (at.tNs !== undefined) parts.push(`t=${Math.round(at.tNs)}`);
  if (at.fromNs !== undefined && at.toNs !== undefined) parts.push(`from=${Math.round(at.fromNs)}`, `to=${Math.round(at.toNs)}`);
  return parts.join('&');
}

/**
 * Which screen is shown, mirrored in the location hash: `#/archive`, `#/new`, `#/run/<id>` and
 * `#/compare/<a>/<b>` (and `#/sweeps` or `#/sweeps/<sweep id>`), each optionally with `?t=<ns>&from=<ns>&to=<ns>` (and `align=<kind>` for a
 * pair) saying where to look. A screen change is a history entry; the query follows the view as the
 * user scrubs and zooms without adding entries (the app uses replaceState for it).
 */
export const useNavStore = defineStore('nav', () => {
  const screen = ref<Screen>('archive');
  const runId = ref<RunId | null>(null);
  const pair = ref<{ a: RunId; b: RunId } | null>(null);
  /** The sweep shown on the sweeps screen (null: the list only). */
  const sweepId = ref<string | null>(null);
  /** The position a deep link asked for (a new object per link, so views can watch it). */
  const linkAt = ref<LinkAt | null>(null);
  /** The current view's position, kept up to date by the view (not a history entry). */
  const query = ref('');

  /** The screen's path: what a history entry is. */
  function hash(): string {
    if (screen.value === 'run' && runId.value) return `#/run/${encodeURIComponent(runId.value)}`;
    if (screen.value === 'compare' && pair.value) return `#/compare/${encodeURIComponent(pair.value.a)}/${encodeURIComponent(pair.value.b)}`;
    if (screen.value === 'sweeps' && sweepId.value) return `#/sweeps/${encodeURIComponent(sweepId.value)}`;
    return `#/${screen.value}`;
  }

  /** The whole location hash: the path and where the view is. */
  function location(): string {
    return query.value ? `${hash()}?${query.value}` : hash();
  }

  /** Read a hash (at start, on back/forward). Unknown hashes show the archive. */
  function fromHash(h: string): void {
    const [path, q = ''] = h.split('?', 2);
    const run = /^#\/run\/([^/]+)$/.exec(path);
    const cmp = /^#\/compare\/([^/]+)\/([^/]+)$/.exec(path);
    const sweep = /^#\/sweeps(?:\/([^/]+))?$/.exec(path);
    query.value = '';
    linkAt.value = null;
    if (run) {
      screen.value = 'run';
      runId.value = decodeURIComponent(run[1]);
      linkAt.value = parseQuery(q);
      query.value = q;
    } else if (cmp) {
      screen.value = 'compare';
      pair.value = { a: decodeURIComponent(cmp[1]), b: decodeURIComponent(cmp[2]) };
      linkAt.value = parseQuery(q);
      query.value = q;
    } else if (sweep) {
      screen.value = 'sweeps';
      sweepId.value = sweep[1] ? decodeURIComponent(sweep[1]) : null;
    } else if (path === '#/new') {
      screen.value = 'new';
    } else {
      screen.value = 'archive';
    }
  }

  function go(s: Screen, id: RunId | null = null): void {
    screen.value = s;
    if (s === 'run') runId.value = id;
    query.value = '';
    linkAt.value = null;
  }

  /** Open the compare view of two runs (A is the reference: the mm_exit run of a pair). */
  function goCompare(a: RunId, b: RunId): void {
    pair.value = { a, b };
    go('compare');
  }

  /** Open the sweeps screen, showing this sweep (null: the list and the presets). */
  function goSweep(id: string | null): void {
    sweepId.value = id;
    go('sweeps');
  }

  /** The view says where it is now (scrubbing, zooming): the location follows without a history entry. */
  function setQuery(q: string): void {
    query.value = q;
  }

  return { screen, runId, pair, sweepId, linkAt, query, hash, location, fromHash, go, goCompare, goSweep, setQuery };
});
