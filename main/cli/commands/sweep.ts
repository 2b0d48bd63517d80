import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { fmtNs, isTimeMetric, presetOrThrow, UserError, type MetricStats, type SweepDefinition, type SweepProgress, type SweepResult } from '../../lab/index';
import type { CliContext } from '../context';
import { table } from '../format';
import { collectSet } from './run';

/** Collect repeated `--vary key=v1,v2,...`. */
export function collectVary(v: string, acc: { key: string; values: string[] }[]): { key: string; values: string[] }[] {
  const i = v.indexOf('=');
  if (i <= 0 || i === v.length - 1) throw new UserError(`--vary takes key=v1,v2,... (for example --vary dmaStopMs=10,100,1000); got '${v}'.`);
  return [...acc, { key: v.slice(0, i), values: v.slice(i + 1).split(',').map((x) => x.trim()) }];
}

function parseCount(flag: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < min) throw new UserError(`${flag} must be an integer of at least ${min}; got '${v}'.`);
  return n;
}

function parseMetrics(v: string | undefined): string[] | undefined {
  return v === undefined ? undefined : v.split(',').map((x) => x.trim()).filter((x) => x !== '');
}

function num(path: string, v: number | null): string {
  if (v === null) return 'never';
  if (isTimeMetric(path)) return fmtNs(Math.round(v));
  return Number.isInteger(v) ? String(v) : v.toFixed(2);
}

/** One table cell: the mean, `(min–max)` when the seeds disagree, and how many runs never had it. */
export function fmtStats(metric: string, s: MetricStats): string {
  if (s.n === 0) return s.nulls > 0 ? 'never' : '-';
  let out = num(metric, s.mean);
  if (s.min !== s.max) out += ` (${num(metric, s.min)}–${num(metric, s.max)})`;
  if (s.nulls > 0) out += ` +${s.nulls} never`;
  return out;
}

/** The human form of a sweep: a header line, then one row per grid point. */
export function formatSweep(r: SweepResult): string {
  const d = r.definition;
  const keys = d.vary.map((v) => v.key);
  const metrics = r.table.length > 0 ? Object.keys(r.table[0].stats) : d.metrics;
  const fixed = Object.entries(d.set).map(([k, v]) => `${k}=${String(v)}`);
  const lines = [
    `sweep ${r.id}  ${d.preset ? `(preset ${d.preset}) ` : ''}${d.scenario}, ${r.table.length} points × ${d.seeds} seed${d.seeds === 1 ? '' : 's'}${fixed.length ? `, ${fixed.join(' ')}` : ''}`,
    `status ${r.status}: ${r.done} of ${r.total} runs finished${d.seeds > 1 ? '; cells are the mean over complete runs, (min–max) when seeds differ' : ''}`,
    '',
  ];
  const rows = r.table.map((p) => [...keys.map((k) => String(p.values[k])), `${p.complete}/${p.runs}`, ...metrics.map((m) => fmtStats(m, p.stats[m]))]);
  return `${lines.join('\n')}\n${table([...keys, 'runs', ...metrics], rows)}`;
}

/** A one-line progress bar on stderr when it is a terminal: runs finished of the total. */
class SweepBar {
  private readonly on = process.stderr.isTTY === true;
  constructor(private readonly label: string) {}
  update(p: Pick<SweepProgress, 'done' | 'total'>, note = ''): void {
    if (!this.on) return;
    const width = 24;
    const full = p.total > 0 ? Math.round((p.done / p.total) * width) : 0;
    process.stderr.write(`\r${this.label} [${'#'.repeat(full)}${'.'.repeat(width - full)}] ${p.done}/${p.total} runs${note}\x1b[K`);
  }
  message(s: string): void {
    if (this.on) process.stderr.write(`\r${s}\x1b[K\n`);
  }
  done(): void {
    if (this.on) process.stderr.write('\r\x1b[K');
  }
}

interface SweepOpts {
  vary: { key: string; values: string[] }[];
  set: Record<string, string>;
  seeds?: string;
  metrics?: string;
  jobs?: string;
  preset?: string;
  json?: boolean;
}

/** The definition from the command line, over a preset's if one is named (--vary replaces the preset's values of that key). */
export function sweepDefinition(scenario: string | undefined, opts: SweepOpts): SweepDefinition {
  const seeds = parseCount('--seeds', opts.seeds, 1);
  const metrics = parseMetrics(opts.metrics);
  if (opts.preset !== undefined) {
    const p = presetOrThrow(opts.preset);
    if (scenario !== undefined && scenario !== p.definition.scenario) throw new UserError(`Preset '${p.name}' sweeps scenario '${p.definition.scenario}', not '${scenario}'; drop the scenario or the --preset.`);
    const vary: SweepDefinition['vary'] = p.definition.vary.map((v) => opts.vary.find((o) => o.key === v.key) ?? v);
    for (const o of opts.vary) if (!vary.includes(o)) vary.push(o);
    return { ...p.definition, vary, set: { ...p.definition.set, ...opts.set }, seeds: seeds ?? p.definition.seeds, metrics: metrics ?? p.definition.metrics };
  }
  if (scenario === undefined) throw new UserError('sweep needs a scenario (see `sva-lab scenarios`) or --preset <name> (see `sva-lab presets`).');
  return { scenario, vary: opts.vary, set: opts.set, seeds, metrics };
}

export function registerSweep(program: Command, ctx: CliContext): void {
  program
    .command('sweep')
    .description('run a scenario over a grid of parameter values (× seeds) in parallel, record every run, and print the chosen metrics per grid point')
    .argument('[scenario]', 'scenario id (see `sva-lab scenarios`); optional with --preset')
    .option('--vary <key=v1,v2,...>', 'a parameter and its values (repeatable; the grid is their cartesian product)', collectVary, [])
    .option('--set <key=value>', 'fix a parameter for every run (repeatable)', collectSet, {})
    .option('--seeds <n>', 'run every grid point with seeds 1..n (default 1)')
    .option('--metrics <m1,m2>', 'metrics to tabulate (nested ones as releaseLatencyNs.max); default innocentVictims,oomVictims,memoryFreedNs,releaseLatencyNs.max,lockups,hungTaskReports')
    .option('--jobs <n>', 'runs at once (default: the number of cores)')
    .option('--preset <name>', 'start from a built-in sweep (see `sva-lab presets`)')
    .option('--json', 'print the sweep (definition, runs, table) as one JSON document')
    .action(async (scenario: string | undefined, opts: SweepOpts) => {
      const def = sweepDefinition(scenario, opts);
      const jobs = parseCount('--jobs', opts.jobs, 1);
      const lab = ctx.lab();
      const ac = new AbortController();
      const bar = new SweepBar(def.preset ?? def.scenario);
      const onSigint = () => {
        if (ac.signal.aborted) return;
        bar.message('cancelling: running runs stop and keep what they recorded; finished runs are kept');
        ac.abort();
      };
      const t0 = performance.now();
      const h = lab.sweep(def, { jobs, signal: ac.signal, onProgress: (p) => bar.update(p, `  last: ${Object.entries(p.lastRun.values).map(([k, v]) => `${k}=${String(v)}`).join(' ')} seed ${p.lastRun.seed} ${p.lastRun.status}`) });
      process.on('SIGINT', onSigint);
      let r: SweepResult;
      try {
        bar.update({ done: 0, total: h.total });
        r = await h.done;
      } finally {
        bar.done();
        process.off('SIGINT', onSigint);
      }
      const failed = r.points.flatMap((p) => p.runs.filter((x) => x.status === 'failed').map((x) => ({ values: p.values, ...x })));
      if (opts.json) process.stdout.write(`${JSON.stringify(r)}\n`);
      else {
        process.stdout.write(formatSweep(r));
        for (const f of failed) process.stdout.write(`failed: ${Object.entries(f.values).map(([k, v]) => `${k}=${String(v)}`).join(' ')} seed ${f.seed}: ${f.error}\n`);
        process.stdout.write(`${r.done} runs in ${((performance.now() - t0) / 1000).toFixed(1)} s; manifest ${path.join(lab.sweepsDir, `${r.id}.json`)}\n`);
      }
      if (r.status === 'cancelled') process.exitCode = 130;
      else if (failed.length > 0) process.exitCode = 1;
    });

  program
    .command('sweeps')
    .description('list the sweeps in the archive')
    .option('--json', 'print one JSON document')
    .action(async (opts: { json?: boolean }) => {
      const lab = ctx.lab();
      const list = await lab.listSweeps();
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ archive: lab.home, sweeps: list })}\n`);
        return;
      }
      if (list.length === 0) {
        process.stdout.write(`no sweeps in ${lab.home}\n`);
        return;
      }
      const rows = list.map((s) =>
        s.problem ? [s.id, '-', 'unreadable', '-', s.problem] : [s.id, s.preset ? `${s.scenario} (${s.preset})` : s.scenario, s.status, `${s.done}/${s.total}`, `${s.vary.map((v) => `${v.key}=${v.values.join(',')}`).join(' ')}${s.seeds > 1 ? ` × seeds 1..${s.seeds}` : ''}`],
      );
      process.stdout.write(table(['id', 'scenario', 'status', 'runs', 'grid'], rows));
    });

  program
    .command('sweep-show')
    .description("print a sweep's table (chosen metrics per grid point: mean, min, max over seeds), or write it as CSV")
    .argument('<id>', 'sweep id (see `sva-lab sweeps`)')
    .option('--metrics <m1,m2>', "metrics to tabulate (default: the sweep's own)")
    .option('--csv <file>', 'write the table as CSV to this file')
    .option('--json', 'print the sweep (definition, runs, table) as one JSON document')
    .action(async (id: string, opts: { metrics?: string; csv?: string; json?: boolean }) => {
      const lab = ctx.lab();
      const metrics = parseMetrics(opts.metrics);
      const r = await lab.getSweep(id, metrics);
      if (opts.csv !== undefined) {
        if (!fs.existsSync(path.dirname(path.resolve(opts.csv)))) throw new UserError(`The folder of the CSV file '${opts.csv}' does not exist.`);
        fs.writeFileSync(opts.csv, Buffer.from((await lab.sweepCsv(id, metrics)).bytesBase64, 'base64'));
      }
      if (opts.json) process.stdout.write(`${JSON.stringify(r)}\n`);
      else {
        process.stdout.write(formatSweep(r));
        if (opts.csv !== undefined) process.stdout.write(`wrote ${opts.csv}\n`);
      }
    });

  program
    .command('presets')
    .description('list the built-in sweeps (run one with `sva-lab sweep --preset <name>`)')
    .option('--json', 'print one JSON document')
    .action(async (opts: { json?: boolean }) => {
      const presets = await ctx.lab().sweepPresets();
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ presets })}\n`);
        return;
      }
      for (const p of presets) {
        const d = p.definition;
        process.stdout.write(`${p.name}\n  ${p.title}\n  ${p.story}\n`);
        process.stdout.write(`  sweep: ${d.scenario} ${d.vary.map((v) => `--vary ${v.key}=${v.values.join(',')}`).join(' ')}${(d.seeds ?? 1) > 1 ? ` --seeds ${d.seeds}` : ''} --metrics ${(d.metrics ?? []).join(',')}\n`);
        for (const pl of p.plots) process.stdout.write(`  plot: ${pl.metric} vs ${pl.x} (${pl.xScale} x, ${pl.yScale} y), one series per ${pl.series}\n`);
        process.stdout.write('\n');
      }
    });
}
