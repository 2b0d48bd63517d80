import { ATS_RESULT, DMA_STATE, INVAL_TYPE, MM_FLAG, PASID_ENTRY_STATE, PRI_RESP, TASK_STATE, TX_OUTCOME, UACCE_Q_STATE } from '../sim/events';
import { fmtNs } from '../sim/time';

/**
 * One line saying what an event means, for the event list and the cause chain, e.g.
 * "mm accel-app:3: mm_users -> 0 (mmput)". `name` resolves an actor id carried in a or b.
 */
export function describeEvent(kind: string, actor: string, a: number, b: number, args: Record<string, unknown> | null, name: (id: number) => string): string {
  const fn = typeof args?.fn === 'string' ? args.fn : '';
  switch (kind) {
    case 'task_new':
      return `${actor}: created (${String(args?.type ?? '')})`;
    case 'task_state':
      return `${actor}: ${TASK_STATE[a] ?? a}${args?.on ? ` waiting on ${String(args.on)}` : ''}`;
    case 'signal':
      return `${actor}: SIGKILL from ${String(args?.from ?? '?')}`;
    case 'deadlock':
      return `DEADLOCK: ${((args?.cycle as string[] | undefined) ?? []).join('; ')}`;
    case 'hung_task':
      return `${actor}: reported hung (blocked ${b} s, timeout ${a} s)`;
    case 'printk':
      // An imported log's line is shown as the kernel printed it (args.text); the model's by its message.
      return typeof args?.text === 'string' && args.line !== undefined ? `log: ${args.text}` : `printk: ${String(args?.msg ?? '')}${b ? ` (${b} suppressed before)` : ''}`;
    case 'io_page_fault':
      return `I/O page fault: ${String(args?.device ?? '?')} address ${String(args?.address ?? '?')} flags ${String(args?.flags ?? '?')}`;
    case 'sched_process_exit':
      return `${actor}: sched_process_exit`;
    case 'lock_contend':
      return `${actor}: ${name(a)} waits`;
    case 'lock_acquire':
      return `${actor}: taken by ${name(a)}${b ? ' (shared)' : ''}`;
    case 'lock_release':
      return `${actor}: released by ${name(a)}`;
    case 'synchronize_srcu':
      return `${actor}: synchronize_srcu waits for ${a} reader(s)`;
    case 'synchronize_srcu_done':
      return `${actor}: synchronize_srcu returns`;
    case 'work_queue':
      return `${actor}: queue_work ${fn} (#${a}, ${b} outstanding)`;
    case 'work_begin':
      return `${actor}: runs ${fn} (#${a})`;
    case 'work_end':
      return `${actor}: ${fn} (#${a}) returns`;
    case 'flush_begin':
      return `${actor}: flush_workqueue ${name(a)} waits for ${b} item(s)`;
    case 'flush_end':
      return `${actor}: flush_workqueue ${name(a)} returns`;
    case 'mm_users':
      return `${actor}: mm_users -> ${a} (${fn})`;
    case 'mmget_not_zero_fail':
      return `${actor}: mmget_not_zero fails (mm_users is 0)`;
    case 'mm_count':
      return `${actor}: mm_count -> ${a} (${b > 0 ? 'mmgrab' : 'mmdrop'} by ${String(args?.by ?? '?')})`;
    case 'mm_flag':
      return `${actor}: ${MM_FLAG[a] ?? a} set`;
    case 'mm_pages':
      return `${actor}: ${a} pages resident, ${b} locked`;
    case 'mm_freed':
      return `${actor}: all memory returned (${a} pages)`;
    case 'mm_free':
      return `${actor}: mm_struct freed (mm_count 0)`;
    case 'mem_free':
      return `free memory: ${a} pages (${Math.round(a / 256)} MiB)`;
    case 'fn_begin':
      return `${actor}: ${fn}()${b ? ` pasid ${b}` : ''}`;
    case 'fn_end':
      return `${actor}: ${fn}() returns${args?.branch ? ` (${String(args.branch)})` : ''}${args?.err ? ` -${String(args.err)}` : ''}`;
    case 'release_begin':
      return `${actor}: release() of ${name(a)} enters (pasid ${b})`;
    case 'release_end':
      return `${actor}: release() of ${name(a)} returns (pasid ${b})`;
    case 'oom_invoke':
      return `out_of_memory() for ${name(a)}`;
    case 'oom_abort':
      return `select_bad_process aborts: victim ${name(a)} still exiting (no MMF_OOM_SKIP)`;
    case 'oom_skip':
      return `select_bad_process skips ${name(a)} (MMF_OOM_SKIP)`;
    case 'oom_kill':
      if (args?.observed === true) return `OOM kill ${String(args.comm ?? '?')}:${String(args.pid ?? '?')}${args.anonRss !== undefined ? ` (anon-rss ${String(args.anonRss)} kB)` : ''}`;
      return `OOM kill ${String(args?.comm ?? '')}:${String(args?.pid ?? '')} (badness ${b}, ${Math.round(Number(args?.rssPages ?? 0) / 256)} MiB, ${Math.round(Number(args?.lockedPages ?? 0) / 256)} MiB locked)`;
    case 'oom_none':
      return 'out of memory and no killable process';
    case 'reap_begin':
      return `oom_reaper: attempt ${b} on ${name(a)}`;
    case 'reap_end':
      if (args?.observed === true) return b === 1 ? `oom_reaper: reaped ${String(args.comm ?? 'pid')}:${String(args.pid ?? '?')}` : `oom_reaper: skipped pid ${String(args.pid ?? '?')} (MMF_OOM_SKIP already set)`;
      return b ? `oom_reaper: reaped ${a} pages` : 'oom_reaper: mmap_lock busy, attempt failed';
    case 'pasid_alloc':
      return `PASID ${a} allocated to ${name(b)}`;
    case 'pasid_alloc_fail':
      return `PASID allocation failed: all ${a} in use`;
    case 'pasid_free':
      return `PASID ${a} freed (${name(b)})`;
    case 'pasids':
      return `${a} PASID(s) allocated`;
    case 'pasid_entry':
      return `${actor}: entry ${PASID_ENTRY_STATE[a] ?? a}${b ? ` (${name(b)})` : ''}`;
    case 'inval':
      return `invalidation: ${INVAL_TYPE[b] ?? b} for pasid ${a}`;
    case 'bond':
      return `${actor}: ${a} user(s)`;
    case 'uacce_q':
      return `${actor}: queue ${UACCE_Q_STATE[a] ?? a}`;
    case 'uacce_q_free':
      return `${actor}: queue freed (kfree at the end of uacce_fops_release)`;
    case 'dma_state':
      return `${actor}: DMA ${DMA_STATE[a] ?? a}`;
    case 'dma_tx':
      return `${actor}: transaction ${TX_OUTCOME[b] ?? b} (pasid ${a})`;
    case 'ats_req':
      return `${actor}: ATS ${ATS_RESULT[b] ?? b} (pasid ${a})`;
    case 'pri_req':
      return `${actor}: PRI page request (pasid ${a}, PRQ ${b})`;
    case 'pri_resp':
      return `${actor}: page response ${PRI_RESP[b] ?? b} after ${fmtNs(Number(args?.latencyNs ?? 0))}`;
    case 'prq_depth':
      return `${actor}: ${a} entries${b ? ', overflow' : ''}`;
    case 'prq_overflow':
      return `${actor}: full, request for pasid ${a} dropped`;
    case 'dmar_fault':
      return `DMAR fault reported: pasid ${a} (${b === 2 ? 'page request for invalid PASID' : 'PASID entry not present'})`;
    case 'trigger':
      return `trigger: ${String(args?.victim ?? '')} killed by ${String(args?.by ?? '')}`;
    case 'note':
    case 'invariant':
      return `${kind}: ${String(args?.msg ?? '')}`;
    default:
      return `${actor}: ${kind} a=${a} b=${b}`;
  }
}
