import type { RunId, RunListItem } from '../../../main/contract';

/** Columns the archive sorts by. */
export type SortKey = 'scenario' | 'model' | 'status' | 'release' | 'victims' | 'lockups' | 'events' | 'time' | 'created';

/** A row of the archive: a run, or a sweep or pair of runs shown as one row that expands. */
export interface RunGroup {
  key: string;
  kind: 'sweep' | 'pair' | 'run';
  label: string;
  runs: RunListItem[];
}

/**
 * Two runs started as a pair: the same scenario and seed under the two designs, created within a few
 * seconds (startPair starts both at once). Parameters are not compared: those whose default follows
 * the design (iopfPut) differ between the two of a pair.
 */
function pairKey(r: RunListItem): string {
  return `${r.scenario}|${r.seed}`;
}
const PAIR_WINDOW_MS = 10_000;

/** The value a column sorts by (numbers, or text); a missing value sorts last. */
export function sortValue(r: RunListItem, key: SortKey): number | string {
  const m = r.metrics;
  switch (key) {
    case 'scenario':
      return r.scenario;
    case 'model':
      return r.model;
    case 'status':
      return r.status;
    case 'release':
      return !m ? -1 : m.releaseUnfinished > 0 ? Number.MAX_SAFE_INTEGER : (m.releaseLatencyNs.max ?? -1);
    case 'victims':
      return m ? m.innocentVictims * 1e6 + m.oomVictims : -1;
    case 'lockups':
      return m ? m.lockups : -1;
    case 'events':
      return r.events;
    case 'time':
      return r.endTimeNs;
    case 'created':
      return r.created;
  }
}

function compare(a: RunListItem, b: RunListItem, key: SortKey, dir: 1 | -1): number {
  const x = sortValue(a, key);
  const y = sortValue(b, key);
  const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
  return c * dir || b.created.localeCompare(a.created) || a.id.localeCompare(b.id);
}

/**
 * The archive's rows: a sweep's runs as one group, a pair's two runs as one group, every other
 * run alone; runs inside a group and the groups themselves sorted by `key` (a group by its first run).
 */
export function groupRuns(runs: readonly RunListItem[], key: SortKey, dir: 1 | -1): RunGroup[] {
  const groups = new Map<string, RunGroup>();
  const alone: RunListItem[] = [];
  for (const r of runs) {
    // The lab says which sweep a run is of (main/lab/names.ts reads it from the file's name).
    const s = r.sweep ?? null;
    if (!s) {
      alone.push(r);
      continue;
    }
    let g = groups.get(`sweep:${s}`);
    if (!g) groups.set(`sweep:${s}`, (g = { key: `sweep:${s}`, kind: 'sweep', label: `sweep ${s}`, runs: [] }));
    g.runs.push(r);
  }
  // Pairs among the rest: one of each design, same setup, created close together.
  const used = new Set<RunId>();
  const byKey = new Map<string, RunListItem[]>();
  for (const r of alone) {
    const k = pairKey(r);
    let l = byKey.get(k);
    if (!l) byKey.set(k, (l = []));
    l.push(r);
  }
  const out: RunGroup[] = [...groups.values()];
  for (const r of alone) {
    if (used.has(r.id)) continue;
    const mate = (byKey.get(pairKey(r)) ?? []).find(
      (o) => !used.has(o.id) && o.id !== r.id && o.model !== r.model && Math.abs(Date.parse(o.created) - Date.parse(r.created)) <= PAIR_WINDOW_MS,
    );
    used.add(r.id);
    if (mate) {
      used.add(mate.id);
      const [a, b] = r.model === 'mm_exit' ? [r, mate] : [mate, r];
      out.push({ key: `pair:${a.id}`, kind: 'pair', label: `pair ${r.scenario} · seed ${r.seed}`, runs: [a, b] });
    } else out.push({ key: `run:${r.id}`, kind: 'run', label: r.id, runs: [r] });
  }
  for (const g of out) if (g.kind !== 'pair') g.runs.sort((a, b) => compare(a, b, key, dir));
  return out.sort((a, b) => compare(a.runs[0], b.runs[0], key, dir));
}

/** Runs whose digest another run has too, each with the other (the earliest): a re-import or a re-run of the same events. */
export function duplicatesOf(runs: readonly RunListItem[]): Map<RunId, RunId> {
  const first = new Map<string, RunListItem>();
  const out = new Map<RunId, RunId>();
  for (const r of [...runs].sort((a, b) => a.created.localeCompare(b.created) || a.id.localeCompare(b.id))) {
    if (!r.digest || r.status !== 'complete') continue;
    const f = first.get(r.digest);
    if (f) out.set(r.id, f.id);
    else first.set(r.digest, r);
  }
  return out;
}
