import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLab, type Lab, type SweepDefinition } from '../main/lab/index';
import { closeSharedPool } from '../main/lab/workers/pool';
import { Worker } from 'node:worker_threads';
import { runScenario } from '../main/sim/run';

/**
 * Sweep benchmark (issue 6): a 12-point sweep of oom-bound-victim (6 DMA stop times × 2 designs).
 * The target: the sweep's wall time <= 0.6 × the sum of the single runs' wall times, on 2 cores.
 * What "a single run" costs depends on where it runs, so both are measured, in alternating rounds
 * (BENCH_SWEEP_ROUNDS, default 3) so that load from others hits every figure alike:
 *  (a) cold: each run alone on freshly started workers (the pool is closed before each run), as
 *      `sva-lab run` pays for every run (its Node start-up itself not included);
 *  (w) warm: each run alone on the lab's warm workers, as in the app (or serve) after its first run;
 *  (b) the sweep through the lab's sweeps, starting from a closed pool, as `sva-lab sweep` does: it
 *      pays its own worker start-up once;
 * (bw) the same sweep on warm workers (the app's next sweep), to set against (w).
 * CPU figures are the whole process (main thread and every worker), so cpu/wall says how many
 * cores were busy on average.
 */
export interface SweepBench {
  runs: number;
  jobs: number;
  cores: number;
  /** Every figure is measured in alternation this many times; the best of each is reported (the machine is shared). */
  rounds: number;
  /** (a) One run at a time, each on freshly started workers: each run's wall time, their sum (best round). */
  sequentialCold: { runMs: number[]; sumMs: number; cpuMs: number; busyCores: number; sumMsPerRound: number[] };
  /** (w) One run at a time on warm workers (best round). */
  sequentialWarm: { runMs: number[]; sumMs: number; cpuMs: number; busyCores: number; sumMsPerRound: number[] };
  /** (b) The same runs as one sweep, from a cold pool (best round). */
  pool: { wallMs: number; cpuMs: number; busyCores: number; wallMsPerRound: number[] };
  /** (bw) The same sweep on an already warm pool (the app's second sweep), best round. */
  poolWarm: { wallMs: number; cpuMs: number; busyCores: number; wallMsPerRound: number[] };
  /** Best sweep wall / best (a) sum: the target is <= 0.6. */
  ratio: number;
  /** Best warm sweep (bw) wall / best (w) sum: warm against warm. */
  ratioToWarm: number;
  /** Sweep wall / (a) sum and / (w) sum within each round. */
  ratioPerRound: number[];
  ratioToWarmPerRound: number[];
  /** The same 12 simulations in this thread, unrecorded: how much of a recorded run is the model itself. */
  simOnlyMs: number;
  /**
   * Wall time to start one worker thread the way the lab does from sources (tsx registered in
   * the worker, then the simulator and trace modules imported); a cold recorded run starts two.
   */
  workerBootMs: number;
  /** 1-minute load average before and after: on a shared machine, a figure taken under load says so. */
  loadAvg: { before: number; after: number };
}

const DMA_STOP_MS = [10, 100, 1000, 10_000, 60_000, 300_000];
const DEF: SweepDefinition = {
  scenario: 'oom-bound-victim',
  vary: [
    { key: 'dmaStopMs', values: DMA_STOP_MS },
    { key: 'mmExit', values: [true, false] },
  ],
};

/** Start a worker as workers/boot.mjs does (tsx, then the modules a sim or writer worker imports) and wait for it to end. */
async function workerBoot(): Promise<number> {
  const url = (rel: string) => JSON.stringify(new URL(rel, import.meta.url).href);
  const code = `
    import { register } from 'tsx/esm/api';
    register({ tsconfig: ${JSON.stringify(fileURLToPath(new URL('../tsconfig.json', import.meta.url)))} });
    await import(${url('../main/sim/run.ts')});
    await import(${url('../main/trace/writer.ts')});`;
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    const w = new Worker(code, { eval: true });
    w.once('error', reject);
    w.once('exit', () => resolve());
  });
  return performance.now() - t0;
}

const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;
const r1 = (v: number) => Math.round(v * 10) / 10;

/** The 12 runs one after another; `cold` closes the pool before each, so each starts its own workers. */
async function sequential(lab: Lab, cold: boolean): Promise<{ runMs: number[]; sumMs: number; cpuMs: number; wallMs: number }> {
  const runMs: number[] = [];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (const d of DMA_STOP_MS) {
    for (const m of [true, false]) {
      if (cold) await closeSharedPool();
      const t = performance.now();
      await lab.record({ scenario: 'oom-bound-victim', params: { dmaStopMs: d, mmExit: m }, seed: 1 });
      runMs.push(performance.now() - t);
    }
  }
  return { runMs, sumMs: runMs.reduce((a, b) => a + b, 0), cpuMs: cpuMs(process.cpuUsage(cpu0)), wallMs: performance.now() - t0 };
}

export async function benchSweep(rounds = Number(process.env.BENCH_SWEEP_ROUNDS ?? 3)): Promise<SweepBench> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'sva-bench-sweep-'));
  try {
    const load0 = os.loadavg()[0];
    const lab = createLab(home);
    // Warm-up: the first worker start fills tsx's transform cache; no figure should pay it.
    await lab.record({ scenario: 'oom-bound-victim', params: { dmaStopMs: 10 } });

    const t0sim = performance.now();
    for (const d of DMA_STOP_MS) for (const m of [true, false]) runScenario('oom-bound-victim', { dmaStopMs: d, mmExit: m }, 1);
    const simOnlyMs = performance.now() - t0sim;
    const boots: number[] = [];
    for (let i = 0; i < 3; i++) boots.push(await workerBoot());

    const jobs = os.availableParallelism();
    const coldRounds: Awaited<ReturnType<typeof sequential>>[] = [];
    const warmRounds: Awaited<ReturnType<typeof sequential>>[] = [];
    const poolRounds: { wallMs: number; cpuMs: number }[] = [];
    const poolWarmRounds: { wallMs: number; cpuMs: number }[] = [];
    for (let round = 0; round < rounds; round++) {
      // (a) one at a time, cold workers each.
      coldRounds.push(await sequential(lab, true));
      // (w) one at a time on warm workers (the first run of the round warms them, untimed).
      await lab.record({ scenario: 'oom-bound-victim', params: { dmaStopMs: 10 } });
      warmRounds.push(await sequential(lab, false));
      // (b) the sweep, from a cold pool.
      await closeSharedPool();
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const r = await lab.sweep(DEF, { jobs }).done;
      poolRounds.push({ wallMs: performance.now() - t0, cpuMs: cpuMs(process.cpuUsage(cpu0)) });
      if (r.status !== 'complete' || r.points.some((p) => p.runs.some((x) => x.status !== 'complete'))) throw new Error(`bench sweep did not complete: ${r.status}`);
      // (bw) the sweep again, its workers now warm.
      const cpu1 = process.cpuUsage();
      const t1 = performance.now();
      const rw = await lab.sweep(DEF, { jobs }).done;
      poolWarmRounds.push({ wallMs: performance.now() - t1, cpuMs: cpuMs(process.cpuUsage(cpu1)) });
      if (rw.status !== 'complete') throw new Error(`bench sweep did not complete: ${rw.status}`);
    }
    await closeSharedPool();
    const best = <T extends { sumMs: number }>(xs: T[]) => xs.reduce((a, b) => (b.sumMs < a.sumMs ? b : a));
    const cold = best(coldRounds);
    const warm = best(warmRounds);
    const fastest = (xs: { wallMs: number; cpuMs: number }[]) => xs.reduce((a, b) => (b.wallMs < a.wallMs ? b : a));
    const pool = fastest(poolRounds);
    const poolWarm = fastest(poolWarmRounds);
    const poolDto = (p: typeof pool, per: typeof poolRounds) => ({ wallMs: r1(p.wallMs), cpuMs: r1(p.cpuMs), busyCores: Math.round((p.cpuMs / p.wallMs) * 100) / 100, wallMsPerRound: per.map((x) => r1(x.wallMs)) });
    const seqDto = (s: typeof cold, per: typeof coldRounds) => ({ runMs: s.runMs.map(r1), sumMs: r1(s.sumMs), cpuMs: r1(s.cpuMs), busyCores: Math.round((s.cpuMs / s.wallMs) * 100) / 100, sumMsPerRound: per.map((x) => r1(x.sumMs)) });
    const r3 = (v: number) => Math.round(v * 1000) / 1000;
    return {
      runs: cold.runMs.length,
      jobs,
      cores: os.availableParallelism(),
      rounds,
      sequentialCold: seqDto(cold, coldRounds),
      sequentialWarm: seqDto(warm, warmRounds),
      pool: poolDto(pool, poolRounds),
      poolWarm: poolDto(poolWarm, poolWarmRounds),
      ratio: r3(pool.wallMs / cold.sumMs),
      ratioToWarm: r3(poolWarm.wallMs / warm.sumMs),
      ratioPerRound: poolRounds.map((x, i) => r3(x.wallMs / coldRounds[i].sumMs)),
      ratioToWarmPerRound: poolWarmRounds.map((x, i) => r3(x.wallMs / warmRounds[i].sumMs)),
      simOnlyMs: r1(simOnlyMs),
      workerBootMs: r1(Math.min(...boots)),
      loadAvg: { before: Math.round(load0 * 100) / 100, after: Math.round(os.loadavg()[0] * 100) / 100 },
    };
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}

export function formatSweepBench(b: SweepBench): string {
  const ms = (v: number) => `${(v / 1000).toFixed(2)} s`;
  return [
    '',
    `sweep: ${b.runs} recorded runs of oom-bound-victim (${DMA_STOP_MS.length} dmaStopMs × 2 designs), ${b.cores} cores, best of ${b.rounds} alternating rounds`,
    `  (a) one run at a time, fresh workers each (what \`sva-lab run\` pays per run, Node start not included):`,
    `      sum of run wall times ${ms(b.sequentialCold.sumMs)} (${Math.round(b.sequentialCold.sumMs / b.runs)} ms/run), ${b.sequentialCold.busyCores} cores busy on average`,
    `  (w) one run at a time on warm workers (the app or serve after its first run):`,
    `      sum of run wall times ${ms(b.sequentialWarm.sumMs)} (${Math.round(b.sequentialWarm.sumMs / b.runs)} ms/run), ${b.sequentialWarm.busyCores} cores busy on average`,
    `  (b) the sweep, ${b.jobs} at once on the warm-worker pool, started cold (what \`sva-lab sweep\` pays):`,
    `      wall ${ms(b.pool.wallMs)}, ${b.pool.busyCores} cores busy on average`,
    `  (bw) the same sweep on warm workers (the app's next sweep): wall ${ms(b.poolWarm.wallMs)}, ${b.poolWarm.busyCores} cores busy on average`,
    `  (b) / (a): ${b.ratio.toFixed(3)}  (target <= 0.6: ${b.ratio <= 0.6 ? 'ok' : 'MISSED'}); per round ${b.ratioPerRound.join(', ')}`,
    `  (bw) / (w): ${b.ratioToWarm.toFixed(3)}  (warm against warm: what 2 cores buy once no run pays a worker start); per round ${b.ratioToWarmPerRound.join(', ')}`,
    `  the simulations alone, unrecorded in one thread: ${Math.round(b.simOnlyMs)} ms for all ${b.runs}; one worker start from sources: ${Math.round(b.workerBootMs)} ms (a cold run starts two at once)`,
    `  load average (1 min) before/after: ${b.loadAvg.before} / ${b.loadAvg.after}`,
    '',
  ].join('\n');
}
