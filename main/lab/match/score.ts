import { fmtNs } from '../../sim/time';
import type { KernReport } from '../../trace/kernlog/types';
import type { Features } from './features';

/**
 * How much a model run looks like the observed one (search.ts ranks candidates by it): the counts
 * of the kinds of lines the log can show, the OOM gaps, and each report compared (lockdep by its
 * chain of lock classes, the others by their call traces' functions). Lower is better.
 */

/** The counted kinds; faults are the printk lines of class `fault`. */
const COUNTED = ['oom_kill', 'reaped', 'sigkill', 'oom_reap_fail', 'oom_none', 'panic', 'hung_task', 'dmar_fault', 'smmu_evt', 'io_page_fault', 'faults', 'lockdep', 'might_sleep'] as const;
/** The counted kinds an ftrace capture can show (tracepoints: oom:*, signal:*, iommu:io_page_fault). */
const FTRACE_SHOWS = new Set(['oom_kill', 'reaped', 'sigkill', 'io_page_fault']);
const WEIGHT: Record<string, number> = { oom_kill: 2, panic: 2, oom_none: 2, lockdep: 3, might_sleep: 3, hung_task: 2 };

const jaccard = (a: readonly string[], b: readonly string[]): number => {
  const A = new Set(a);
  const B = new Set(b);
  if (A.size === 0 && B.size === 0) return 1;
  let n = 0;
  for (const x of A) if (B.has(x)) n++;
  return n / (A.size + B.size - n);
};

/** How alike two reports of one kind are, 0..1. */
function reportSimilarity(o: KernReport, m: KernReport): number {
  if (o.kind === 'lockdep' && o.lockdep && m.lockdep) {
    const lo = o.lockdep;
    const lm = m.lockdep;
    const chain = lo.chainExists.length > 0 && lo.chainExists.join(' ') === lm.chainExists.join(' ') ? 1 : jaccard(lo.chainExists, lm.chainExists);
    const locks = jaccard([...lo.chain.map((c) => c.lock), ...lo.held.map((h) => h.name)], [...lm.chain.map((c) => c.lock), ...lm.held.map((h) => h.name)]);
    const fns = jaccard(lo.chain.flatMap((c) => c.stack), lm.chain.flatMap((c) => c.stack));
    return 0.5 * chain + 0.25 * locks + 0.25 * fns;
  }
  return jaccard(o.stack, m.stack);
}

/** Reports compared one by one (a panic is counted; its call trace says where the allocation was, not what went wrong). */
export const REPORTED = new Set(['lockdep', 'might_sleep', 'hung_task']);

/** Lower is better: line kinds, OOM gaps, reports. */
export function score(o: Features, m: Features): { score: number; why: string[] } {
  let s = 0;
  const why: string[] = [];
  // What the log can show at all: dmesg prints no signals; an ftrace capture holds no printk lines.
  const shown = (k: string) => (o.format === 'ftrace' ? FTRACE_SHOWS.has(k) : k !== 'sigkill');
  for (const k of COUNTED) {
    if (!shown(k)) continue;
    const co = o.counts[k] ?? 0;
    const cm = m.counts[k] ?? 0;
    if (co === 0 && cm === 0) continue;
    s += (WEIGHT[k] ?? 1) * Math.abs(Math.log((co + 1) / (cm + 1)));
    why.push(co === cm ? `${co} ${k} as in the log` : `${cm} ${k} (log ${co})`);
  }
  const gapWords = { reap: 'kill -> reap', nextOom: 'kill -> next OOM', nextKill: 'kill -> next kill' } as const;
  for (const g of Object.keys(gapWords) as (keyof typeof gapWords)[]) {
    const go = o.gaps[g];
    const gm = m.gaps[g];
    if (go === null && gm === null) continue;
    if (go === null || gm === null) {
      s += 2;
      why.push(`${gapWords[g]} ${gm === null ? 'never' : fmtNs(gm)} (log ${go === null ? 'never' : fmtNs(go)})`);
      continue;
    }
    s += Math.abs(Math.log((go + 1e6) / (gm + 1e6)));
    why.push(`${gapWords[g]} ${fmtNs(gm)} (log ${fmtNs(go)})`);
  }
  for (const r of o.reports.filter((x) => REPORTED.has(x.kind))) {
    const same = m.reports.filter((x) => x.kind === r.kind);
    if (same.length === 0) {
      s += 3;
      why.push(`no ${r.kind} report`);
      continue;
    }
    const best = Math.max(...same.map((x) => reportSimilarity(r, x)));
    s += 3 * (1 - best);
    why.push(`${r.kind} report ${Math.round(best * 100)}% alike`);
  }
  return { score: Math.round(s * 1000) / 1000, why };
}
