import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LabService } from '../main/lab/service';
import { SweepService, type SweepDefinition } from '../main/lab/sweep';
import { Worker } from 'node:worker_threads';
import { runScenario } from '../main/sim/run';

/**
 * Sweep benchmark (issue 6): a 12-point sweep of oom-bound-victim (6 DMA stop times × 2 designs)
 * recorded (a) one run at a time through LabService.run and (b) through the SweepService pool,
 * in alternating rounds (BENCH_SWEEP_ROUNDS, default 3) so that load from others hits both alike.
 * The target is pool wall time <= 0.6 × the sum of the single runs' wall times on 2 cores.
 * CPU figures are the whole process (main thread and every worker), so cpu/wall says how many
 * cores were busy on average.
 */
export interface SweepBench {
  runs: number;
  jobs: number;
  cores: number;
  /** (a)/(b) are measured in alternation this many times; the best of each is reported (the machine is shared). */
  rounds: number;
  /** (a) The runs one after another: each run's wall time, their sum, and the cores kept busy (best round). */
  sequential: { runMs: number[]; sumMs: number; cpuMs: number; busyCores: number; sumMsPerRound: number[] };
  /** (b) The same runs through the pool (best round). */
  pool: { wallMs: number; cpuMs: number; busyCores: number; wallMsPerRound: number[] };
  /** Best pool wall / best sequential sum: the target is <= 0.6. */
  ratio: number;
  /** Pool wall / sequential sum within each round. */
  ratioPerRound: number[];
  /** The same 12 simulations in this thread, unrecorded: how much of a recorded run is the model itself. */
  simOnlyMs: number;
  /**
   * Wall time to start one worker thread the way the lab does from sources (tsx registered in
   * the worker, then the simulator and trace modules imported); a recorded run starts two.
   */
  workerBootMs: number;
  /**
   * Experiment, not the lab's path: the same 12 runs recorded (sim and writer in one thread) in
   * workers started once and reused, one worker in turn vs one per core. What keeping workers
   * warm would buy.
   */
  warmWorkers: { sequentialSumMs: number; poolWallMs: number; ratioToSequential: number; ratioToLabSequential: number };
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

/** Start a worker as worker-boot.mjs does (tsx, then the modules a sim or writer worker imports) and wait for it to end. */
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

interface WarmJob {
  file: string;
  params: Record<string, unknown>;
}

/** A worker that records one run per message, in its own thread, and stays up between runs. */
function warmWorker(): { run: (j: WarmJob) => Promise<number>; close: () => Promise<number> } {
  const url = (rel: string) => JSON.stringify(new URL(rel, import.meta.url).href);
  const code = `
    import { parentPort } from 'node:worker_threads';
    import { register } from 'tsx/esm/api';
    register({ tsconfig: ${JSON.stringify(fileURLToPath(new URL('../tsconfig.json', import.meta.url)))} });
    const { runScenario, MODEL_VERSION } = await import(${url('../main/sim/run.ts')});
    const { TraceRecorder, TraceWriter } = await import(${url('../main/trace/writer.ts')});
    parentPort.on('message', (j) => {
      const t0 = performance.now();
      const model = j.params.mmExit ? 'mm_exit' : 'quiet';
      const w = new TraceWriter(j.file, { appVersion: 'bench', scenario: 'oom-bound-victim', params: j.params, seed: 1, model, modelVersion: MODEL_VERSION, created: new Date().toISOString() }, {});
      const rec = new TraceRecorder((b) => w.write(b), {});
      const s = runScenario('oom-bound-victim', j.params, 1, { sinks: [rec] });
      rec.finish(s.endTimeNs);
      w.finish({ status: s.status, error: s.error, endReason: s.endReason, events: s.events, endTimeNs: s.endTimeNs, digest: s.digest, metrics: s.metrics });
      parentPort.postMessage(performance.now() - t0);
    });
    parentPort.postMessage('ready');`;
  const w = new Worker(code, { eval: true });
  // One run at a time per worker: the pending promise is settled by the next message or an error.
  let pending: { resolve: (ms: number) => void; reject: (e: Error) => void } | null = null;
  let boot: Error | null = null;
  const ready = new Promise<void>((resolve, reject) => {
    w.on('message', (m: number | 'ready') => {
      if (m === 'ready') resolve();
      else pending?.resolve(m);
    });
    w.on('error', (e) => {
      boot = e;
      reject(e);
      pending?.reject(e);
    });
  });
  return {
    run: async (j) => {
      await ready;
      if (boot) throw boot;
      return new Promise<number>((resolve, reject) => {
        pending = { resolve, reject };
        w.postMessage(j);
      });
    },
    close: () => w.terminate(),
  };
}

const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;
const r1 = (v: number) => Math.round(v * 10) / 10;

export async function benchSweep(rounds = Number(process.env.BENCH_SWEEP_ROUNDS ?? 3)): Promise<SweepBench> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'sva-bench-sweep-'));
  try {
    const load0 = os.loadavg()[0];
    const lab = new LabService(home);
    // Warm-up: the first worker start fills tsx's transform cache; neither side should pay it.
    await lab.run({ scenario: 'oom-bound-victim', params: { dmaStopMs: 10 } });

    const t0sim = performance.now();
    for (const d of DMA_STOP_MS) for (const m of [true, false]) runScenario('oom-bound-victim', { dmaStopMs: d, mmExit: m }, 1);
    const simOnlyMs = performance.now() - t0sim;
    const boots: number[] = [];
    for (let i = 0; i < 3; i++) boots.push(await workerBoot());

    const jobs = os.availableParallelism();
    const sweeps = new SweepService(lab);
    const seqRounds: { runMs: number[]; sumMs: number; cpuMs: number; wallMs: number }[] = [];
    const poolRounds: { wallMs: number; cpuMs: number }[] = [];
    for (let round = 0; round < rounds; round++) {
      // (a) one at a time.
      const runMs: number[] = [];
      let cpu0 = process.cpuUsage();
      let t0 = performance.now();
      for (const d of DMA_STOP_MS) {
        for (const m of [true, false]) {
          const t = performance.now();
          await lab.run({ scenario: 'oom-bound-victim', params: { dmaStopMs: d, mmExit: m }, seed: 1 });
          runMs.push(performance.now() - t);
        }
      }
      seqRounds.push({ runMs, sumMs: runMs.reduce((a, b) => a + b, 0), cpuMs: cpuMs(process.cpuUsage(cpu0)), wallMs: performance.now() - t0 });
      // (b) through the pool.
      cpu0 = process.cpuUsage();
      t0 = performance.now();
      const r = await sweeps.start(DEF, { jobs }).done;
      poolRounds.push({ wallMs: performance.now() - t0, cpuMs: cpuMs(process.cpuUsage(cpu0)) });
      if (r.status !== 'complete' || r.points.some((p) => p.runs.some((x) => x.status !== 'complete'))) throw new Error(`bench sweep did not complete: ${r.status}`);
    }
    const seq = seqRounds.reduce((a, b) => (b.sumMs < a.sumMs ? b : a));
    const pool = poolRounds.reduce((a, b) => (b.wallMs < a.wallMs ? b : a));
    const sumMs = seq.sumMs;

    // Warm workers (experiment): started before the clock, as a long-lived pool would be.
    const grid = DMA_STOP_MS.flatMap((d) => [true, false].map((m) => ({ dmaStopMs: d, mmExit: m })));
    const warm = Array.from({ length: jobs }, () => warmWorker());
    await Promise.all(warm.map((w, i) => w.run({ file: path.join(home, `warmup-${i}.sqlite`), params: { dmaStopMs: 10 } })));
    let warmSum = 0;
    for (const [i, p] of grid.entries()) warmSum += await warm[0].run({ file: path.join(home, `warm-seq-${i}.sqlite`), params: p });
    const t0 = performance.now();
    let nextWarm = 0;
    await Promise.all(
      warm.map(async (w) => {
        while (nextWarm < grid.length) {
          const i = nextWarm++;
          await w.run({ file: path.join(home, `warm-pool-${i}.sqlite`), params: grid[i] });
        }
      }),
    );
    const warmPool = performance.now() - t0;
    await Promise.all(warm.map((w) => w.close()));

    return {
      runs: seq.runMs.length,
      jobs,
      cores: os.availableParallelism(),
      rounds,
      sequential: { runMs: seq.runMs.map(r1), sumMs: r1(seq.sumMs), cpuMs: r1(seq.cpuMs), busyCores: Math.round((seq.cpuMs / seq.wallMs) * 100) / 100, sumMsPerRound: seqRounds.map((x) => r1(x.sumMs)) },
      pool: { wallMs: r1(pool.wallMs), cpuMs: r1(pool.cpuMs), busyCores: Math.round((pool.cpuMs / pool.wallMs) * 100) / 100, wallMsPerRound: poolRounds.map((x) => r1(x.wallMs)) },
      ratio: Math.round((pool.wallMs / seq.sumMs) * 1000) / 1000,
      ratioPerRound: poolRounds.map((x, i) => Math.round((x.wallMs / seqRounds[i].sumMs) * 1000) / 1000),
      simOnlyMs: r1(simOnlyMs),
      workerBootMs: r1(Math.min(...boots)),
      warmWorkers: { sequentialSumMs: r1(warmSum), poolWallMs: r1(warmPool), ratioToSequential: Math.round((warmPool / warmSum) * 1000) / 1000, ratioToLabSequential: Math.round((warmPool / sumMs) * 1000) / 1000 },
      loadAvg: { before: Math.round(load0 * 100) / 100, after: Math.round(os.loadavg()[0] * 100) / 100 },
    };
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}

export function formatSweepBench(b: SweepBench): string {
  return [
    '',
    `sweep: ${b.runs} recorded runs of oom-bound-victim (${DMA_STOP_MS.length} dmaStopMs × 2 designs), ${b.cores} cores`,
    `  best of ${b.rounds} alternating rounds; ratio per round ${b.ratioPerRound.join(', ')}`,
    `  (a) one at a time: sum of run wall times ${(b.sequential.sumMs / 1000).toFixed(2)} s (${Math.round(b.sequential.sumMs / b.runs)} ms/run), ${b.sequential.busyCores} cores busy on average`,
    `  (b) pool of ${b.jobs}:       wall ${(b.pool.wallMs / 1000).toFixed(2)} s, ${b.pool.busyCores} cores busy on average`,
    `  ratio pool / sequential sum: ${b.ratio.toFixed(3)}  (target <= 0.6)`,
    `  the simulations alone, unrecorded in one thread: ${Math.round(b.simOnlyMs)} ms for all ${b.runs}; one worker start from sources: ${Math.round(b.workerBootMs)} ms (a recorded run starts two at once)`,
    `  experiment, warm workers reused across runs: one at a time ${Math.round(b.warmWorkers.sequentialSumMs)} ms, pool ${Math.round(b.warmWorkers.poolWallMs)} ms (ratio ${b.warmWorkers.ratioToSequential.toFixed(3)}; ${b.warmWorkers.ratioToLabSequential.toFixed(3)} of (a))`,
    `  load average (1 min) before/after: ${b.loadAvg.before} / ${b.loadAvg.after}`,
    '',
  ].join('\n');
}
