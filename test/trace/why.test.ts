import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import type { WhyDto, WhyStepDto } from '../../main/contract';
import { Sim } from '../../main/sim/engine';
import { runScenario } from '../../main/sim/run';
import { Mutex } from '../../main/sim/sync';
import type { Gen, Task } from '../../main/sim/task';
import { TraceReader } from '../../main/trace/reader';
import { explain, whyJson } from '../../main/trace/why';
import { TraceRecorder, TraceWriter } from '../../main/trace/writer';
import { recordInline, tempDir } from './helpers';

const dir = tempDir('sva-why-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

let n = 0;
function record(scenario: string, params: Record<string, unknown>, seed: number): TraceReader {
  const f = path.join(dir, `${scenario}-${n++}.sqlite`);
  recordInline(f, scenario, params, seed);
  return new TraceReader(f);
}

function seqsOf(r: TraceReader, kind: string, where = ''): number[] {
  return r.query(`SELECT seq FROM event_log WHERE kind = '${kind}' ${where} ORDER BY seq`).rows.map((x) => x[0] as number);
}

/** The chain of steps from `s` up to the event asked about, through `explains`. */
function ancestry(w: WhyDto, s: WhyStepDto): WhyStepDto[] {
  const by = new Map(w.steps.map((x) => [x.seq, x]));
  const out = [s];
  for (let cur = s; cur.explains !== null; ) {
    cur = by.get(cur.explains)!;
    out.unshift(cur);
  }
  return out;
}

function check(w: WhyDto): void {
  // Steps go from the event back to its roots: each explains one that comes before it.
  const pos = new Map(w.steps.map((s, i) => [s.seq, i]));
  w.steps.forEach((s, i) => {
    if (i === 0) expect(s.explains).toBeNull();
    else expect(pos.get(s.explains!)).toBeLessThan(i);
    expect(s.text.length).toBeGreaterThan(10);
  });
  for (const r of w.roots) expect(pos.has(r)).toBe(true);
}

describe('why: the innocent victim of the mm_exit model', () => {
  // Seeds and settings beyond the example: other DMA stop times, the SMMUv3 path.
  it.each([
    [11, { dmaStopMs: 3_000, lockedMemory: 1536 }],
    [3, { dmaStopMs: 60_000, lockedMemory: 1536 }],
    [7, { dmaStopMs: 5_000, lockedMemory: 1024, iommu: 'smmuv3' }],
  ])('seed %i %j: kill #2 <- allocation failed <- memory pinned in accel-app <- exit_mmap blocked in release() <- mm_exit waiting for the DMA stop', (seed, p) => {
    const r = record('oom-bound-victim', { mmExit: true, ...p }, seed);
    const kills = seqsOf(r, 'oom_kill');
    expect(kills.length).toBeGreaterThanOrEqual(2);
    const w = explain(r, kills[1])!;
    check(w);
    expect(w.steps[0]).toMatchObject({ seq: kills[1], kind: 'oom_kill', relation: 'event' });
    expect(w.steps[0].text).toMatch(/^OOM kill #2: oom_kill_process killed worker\d+/);
    // The DMA stop, reached in a few steps, and the chain leading to it.
    const stop = w.steps.find((s) => s.kind === 'dma_state' && s.relation === 'waits_on')!;
    expect(stop, w.steps.map((s) => s.text).join('\n')).toBeDefined();
    expect(stop.text).toMatch(/STOPPED.*the DMA stop/);
    const chain = ancestry(w, stop);
    expect(chain.map((s) => [s.kind, s.relation])).toEqual([
      ['oom_kill', 'event'],
      ['oom_invoke', 'because_of'],
      ['task_state', 'held_by'],
      ['dma_state', 'waits_on'],
    ]);
    expect(chain[1].text).toMatch(/^The allocation failed: db-service:\d+ could not get memory/);
    expect(chain[2].text).toMatch(/^Memory pinned in mm accel-app:\d+: \d+ MiB \(\d+ MiB locked\) cannot come back while its exit_mmap is blocked in release\(\) \(io_mm_release\)/);
    expect(chain[2].text).toMatch(/the driver's mm_exit \(uacce_sva_exit\) waiting for the DMA stop of accel0 q0/);
    // The wait ends when the device stops: dmaStopMs after the stop was requested.
    const requested = w.steps.find((s) => s.explains === stop.seq)!;
    expect(requested).toMatchObject({ kind: 'dma_state', relation: 'scheduled_by' });
    expect(stop.tNs - requested.tNs).toBe(p.dmaStopMs * 1_000_000);
    // Why a second victim at all: the first was skipped because the reaper set MMF_OOM_SKIP.
    const skip = w.steps.find((s) => s.kind === 'oom_skip')!;
    expect(skip.explains).toBe(kills[1]);
    const flag = w.steps.find((s) => s.explains === skip.seq)!;
    expect(flag.text).toMatch(/^MMF_OOM_SKIP was set on mm accel-app/);
    expect(flag.tNs).toBeLessThan(w.steps[0].tNs);
    expect(w.steps.length).toBeLessThanOrEqual(16);
    // The JSON contract: exactly these fields.
    const j = whyJson(w);
    expect(Object.keys(j)).toEqual(['seq', 'steps', 'roots']);
    expect(Object.keys(j.steps[0])).toEqual(['seq', 't_ns', 'kind', 'actor', 'relation', 'text']);
    r.close();
  });

  it('the quiet design, same question: one victim, whose memory nothing pins', () => {
    const r = record('oom-bound-victim', { mmExit: false, dmaStopMs: 3_000, lockedMemory: 1536 }, 11);
    const kills = seqsOf(r, 'oom_kill');
    expect(kills).toHaveLength(1);
    const w = explain(r, kills[0])!;
    check(w);
    expect(w.steps[0].text).toMatch(/^OOM kill #1:/);
    expect(w.steps.some((s) => s.relation === 'held_by')).toBe(false);
    expect(w.steps.some((s) => s.kind === 'oom_skip')).toBe(false);
    expect(w.steps.find((s) => s.kind === 'alloc_stall')).toBeDefined();
    r.close();
  });
});

describe('why: the memory came back late', () => {
  it.each([true, false])('mmExit=%s: mm_freed is explained by the teardown\'s longest wait (the DMA stop with mm_exit, a short one with the quiet release)', (mmExit) => {
    const r = record('oom-bound-victim', { mmExit, dmaStopMs: 3_000, lockedMemory: 1536 }, 11);
    const freed = seqsOf(r, 'mm_freed', "AND actor LIKE 'mm accel-app%'")[0];
    const w = explain(r, freed)!;
    check(w);
    expect(w.steps[1]).toMatchObject({ kind: 'task_state', relation: 'because_of' });
    const waited = Number(/waited ([\d.]+) (s|ms|µs)/.exec(w.steps[1].text)?.[1]);
    if (mmExit) {
      expect(w.steps[1].text).toMatch(/^Its teardown waited 3 s here: .*exit_mmap.*the driver's mm_exit \(uacce_sva_exit\) waiting for the DMA stop/);
      expect(w.steps[2]).toMatchObject({ kind: 'dma_state', relation: 'waits_on' });
    } else {
      expect(w.steps[1].text).toMatch(/^Its teardown waited [\d.]+ (µs|ms) here/);
      expect(w.steps.some((s) => s.kind === 'dma_state')).toBe(false);
    }
    expect(waited).toBeGreaterThan(0);
    r.close();
  });
});

describe('why: a retry loop is folded into one step', () => {
  it('the reaper cannot take mmap_lock for a second: the allocator retries, each aborted; folded with the right count and span', () => {
    const r = record('oom-bound-victim', { mmExit: true, dmaStopMs: 10_000, mmapLockHeldMs: 5_000 }, 3);
    const kills = seqsOf(r, 'oom_kill');
    expect(kills.length).toBeGreaterThanOrEqual(2);
    const w = explain(r, kills[1])!;
    check(w);
    const fold = w.steps.find((s) => s.folded !== null)!;
    expect(fold, w.steps.map((s) => s.text).join('\n')).toBeDefined();
    expect(fold.text).toMatch(/^The allocator retried \d+ times from [\d.]+ m?s to [\d.]+ m?s: db-service:\d+ called out_of_memory\(\) each time/);
    // Its count is the out_of_memory calls of this allocation before the one that killed.
    const invoke = w.steps[1];
    expect(invoke.kind).toBe('oom_invoke');
    const between = seqsOf(r, 'oom_invoke', `AND seq >= ${fold.folded!.fromSeq} AND seq < ${invoke.seq}`);
    expect(fold.folded!.count).toBe(between.length);
    expect(fold.folded!.count).toBeGreaterThan(10);
    expect(fold.text).toContain(`retried ${between.length} times`);
    // Aborts meanwhile: the reaper's failures are a second behind the kill.
    expect(fold.folded!.toNs - fold.folded!.fromNs).toBeGreaterThan(900_000_000);
    // The fold read no iteration: the walk stays small.
    expect(w.steps.length).toBeLessThan(20);
    r.close();
  });
});

describe('why: a hung task is explained by its wait chain', () => {
  const r = record('iopf-last-mmput', {}, 1);
  afterAll(() => r.close());
  it('the IOPF worker flushing its own workqueue waits on the work item it is running', () => {
    const hung = r.query("SELECT seq, actor FROM event_log WHERE kind = 'hung_task' ORDER BY seq").rows as [number, string][];
    const worker = hung.find(([, a]) => a.startsWith('kworker/u:iopf'))!;
    expect(worker).toBeDefined();
    const w = explain(r, worker[0])!;
    check(w);
    expect(w.steps.map((s) => [s.kind, s.relation]).slice(0, 3)).toEqual([
      ['hung_task', 'event'],
      ['task_state', 'waits_on'],
      ['work_begin', 'waits_on'],
    ]);
    expect(w.steps[1].text).toMatch(/in D state|went to D state/);
    expect(w.steps[1].text).toMatch(/iopf_queue_flush_dev ← io_mm_release ← __mmu_notifier_release ← exit_mmap ← __mmput ← iopf_handle_single/);
    expect(w.steps[1].text).toContain('waiting on flush_workqueue iopf_queue');
    // The item it waits for runs on the flushing task itself.
    expect(w.steps[2].actorId).toBe(w.steps[1].actorId);
    expect(w.steps[2].text).toContain('flush_workqueue waits for the work item it is running');
  });
  it('the task blocked on iommu_sva_lock is explained through the lock to the same self-wait', () => {
    const hung = r.query("SELECT seq, actor FROM event_log WHERE kind = 'hung_task' AND actor LIKE 'other-app%' ORDER BY seq LIMIT 1").rows as [number, string][];
    const w = explain(r, hung[0][0])!;
    check(w);
    const kinds = w.steps.map((s) => s.kind);
    expect(kinds.slice(0, 5)).toEqual(['hung_task', 'task_state', 'lock_acquire', 'task_state', 'work_begin']);
    expect(w.steps[2].text).toMatch(/^mutex iommu_sva_lock is held by kworker\/u:iopf_queue/);
  });
});

describe('why: a lock-order deadlock is explained as a cycle', () => {
  it('ABBA: the deadlock names both waits and both holders\' acquires', () => {
    const f = path.join(dir, 'abba.sqlite');
    const w8 = new TraceWriter(f, { appVersion: 'test', scenario: 'abba', params: {}, seed: 1, model: 'mm_exit', modelVersion: 1, created: new Date(0).toISOString() });
    const rec = new TraceRecorder((b) => w8.write(b));
    const sim = new Sim(1, [rec]);
    const A = new Mutex(sim, 'A');
    const B = new Mutex(sim, 'B');
    const body = (first: Mutex, second: Mutex) =>
      function* (t: Task): Gen {
        yield* first.lock(t);
        yield 1_000;
        yield* second.lock(t);
        second.unlock(t);
        first.unlock(t);
      };
    sim.spawn('ab', 'kthread', body(A, B));
    sim.spawn('ba', 'kthread', body(B, A));
    sim.run(1e9);
    rec.finish(sim.now);
    w8.finish({ status: 'complete', error: null, endReason: 'quiescent', events: sim.seq, endTimeNs: sim.now, digest: sim.digest.hex(), metrics: null });
    expect(sim.deadlocks).toBe(1);
    const r = new TraceReader(f);
    const d = seqsOf(r, 'deadlock')[0];
    const w = explain(r, d)!;
    check(w);
    expect(w.steps[0].text).toMatch(/closed a cycle of 2 tasks.*ab:1 waits on mutex B held by ba:2; ba:2 waits on mutex A held by ab:1|closed a cycle of 2 tasks.*ba:2 waits on mutex A held by ab:1; ab:1 waits on mutex B held by ba:2/);
    const blocks = w.steps.filter((s) => s.kind === 'task_state');
    expect(blocks.map((s) => s.actor).sort()).toEqual(['ab:1', 'ba:2']);
    const holds = w.steps.filter((s) => s.kind === 'lock_acquire').map((s) => s.text);
    expect(holds.some((t) => t.startsWith('mutex A is held by ab:1'))).toBe(true);
    expect(holds.some((t) => t.startsWith('mutex B is held by ba:2'))).toBe(true);
    // The cycle closes: each holder's acquire is explained by that holder's own wait (a link back).
    const blockOf = new Map(blocks.map((s) => [s.actor, s.seq]));
    const acqA = w.steps.find((s) => s.text.startsWith('mutex A is held by ab:1'))!;
    expect(w.links).toContainEqual({ from: acqA.seq, to: blockOf.get('ab:1'), relation: 'waits_on' });
    r.close();
  });

  it('lock-inversion: the driver thread doing the last mmput waits in mm_exit for lock A, which it holds', () => {
    const r = record('lock-inversion', {}, 1);
    const d = seqsOf(r, 'deadlock')[0];
    expect(d).toBeGreaterThan(0);
    const w = explain(r, d)!;
    check(w);
    const block = w.steps.find((s) => s.kind === 'task_state')!;
    expect(block.text).toMatch(/uacce_sva_exit ← io_mm_release/);
    const held = w.steps.find((s) => s.kind === 'lock_acquire')!;
    expect(held.text).toMatch(/^mutex uacce_mm->lock \(A\) is held by accel-stats:\d+, who took it at .* — the waiter itself/);
    r.close();
  });
});

describe('why: trace format', () => {
  it('edges change neither the events nor the digest', () => {
    const plain = runScenario('oom-bound-victim', { mmExit: true, lockedMemory: 1536, dmaStopMs: 3000 }, 11);
    const f = path.join(dir, 'digest.sqlite');
    const withEdges = recordInline(f, 'oom-bound-victim', { mmExit: true, lockedMemory: 1536, dmaStopMs: 3000 }, 11);
    expect(withEdges.digest).toBe(plain.digest);
    expect(withEdges.events).toBe(plain.events);
    const r = new TraceReader(f);
    expect(r.meta().formatVersion).toBe(4);
    const n = r.query('SELECT count(*) FROM edges').rows[0][0] as number;
    expect(n).toBeGreaterThan(0);
    // Every edge joins two recorded events.
    expect(r.query('SELECT count(*) FROM edges WHERE from_seq NOT IN (SELECT seq FROM events) OR to_seq NOT IN (SELECT seq FROM events)').rows[0][0]).toBe(0);
    r.close();
  });

  it('a format 3 trace (no edges) still opens; its explanation is scheduled-by only and says so', () => {
    const f = path.join(dir, 'v3.sqlite');
    recordInline(f, 'oom-bound-victim', { mmExit: true, lockedMemory: 1536, dmaStopMs: 3000 }, 11);
    const db = new Database(f);
    db.exec('DROP TABLE edges; UPDATE meta SET format_version = 3');
    db.pragma('user_version = 3');
    db.close();
    const r = new TraceReader(f);
    const kill = seqsOf(r, 'oom_kill')[1];
    const w = explain(r, kill)!;
    check(w);
    expect(w.note).toMatch(/format 3.*scheduled-by only/);
    expect(w.steps.length).toBeGreaterThan(1);
    expect(w.steps.slice(1).every((s) => s.relation === 'scheduled_by')).toBe(true);
    r.close();
  });

  it('an event that does not exist: null', () => {
    const r = record('sigkill-during-dma', {}, 1);
    expect(explain(r, 10_000_000)).toBeNull();
    r.close();
  });
});

describe('why: causes in the Perfetto export', () => {
  it('every edge becomes a flow (ph s/f, one id each, bound to a slice or instant on its thread), parsed back', async () => {
    const { exportChromeJson } = await import('../../main/trace/export');
    const r = record('oom-bound-victim', { mmExit: true, dmaStopMs: 3_000, lockedMemory: 1536 }, 11);
    const out = path.join(dir, 'flows.json');
    exportChromeJson(r, out);
    const doc = JSON.parse(fs.readFileSync(out, 'utf8')) as { traceEvents: { ph: string; id?: number; name: string; pid: number; tid: number; ts: number; dur?: number; bp?: string; args?: Record<string, unknown> }[] };
    const flows = doc.traceEvents.filter((e) => e.ph === 's' || e.ph === 'f');
    const edges = r.query('SELECT count(*) FROM edges').rows[0][0] as number;
    expect(flows.length).toBe(2 * edges);
    const byId = new Map<number, { s?: (typeof flows)[number]; f?: (typeof flows)[number] }>();
    for (const e of flows) {
      const p = byId.get(e.id!) ?? {};
      expect(p[e.ph as 's' | 'f']).toBeUndefined();
      p[e.ph as 's' | 'f'] = e;
      byId.set(e.id!, p);
    }
    const slices = doc.traceEvents.filter((e) => e.ph === 'X' || e.ph === 'i');
    const encloses = (e: (typeof flows)[number]) => slices.some((x) => x.pid === e.pid && x.tid === e.tid && x.ts <= e.ts && e.ts <= x.ts + (x.dur ?? 0));
    for (const { s, f } of byId.values()) {
      expect(s && f).toBeTruthy();
      expect(s!.name).toBe(f!.name);
      expect(f!.bp).toBe('e');
      expect(s!.ts).toBeLessThanOrEqual(f!.ts);
      expect(encloses(s!), JSON.stringify(s)).toBe(true);
      expect(encloses(f!), JSON.stringify(f)).toBe(true);
    }
    // The innocent victim's held_by edge: from the allocation failure on the OOM killer's thread to the victim's wait in release().
    const kill2 = seqsOf(r, 'oom_kill')[1];
    const w = explain(r, kill2)!;
    const held = w.steps.find((s) => s.relation === 'held_by')!;
    const pair = [...byId.values()].find(({ s }) => s!.name === 'held_by' && s!.args?.to === held.seq)!;
    expect(pair).toBeDefined();
    expect(pair.s!.tid).toBe(held.actorId);
    expect(pair.f!.args?.from).toBe(w.steps[1].seq);
    r.close();
  });
});
