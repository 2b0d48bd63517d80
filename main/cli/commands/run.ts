import type { Command } from 'commander';
import { UserError } from '../../lab/index';
import type { CliContext } from '../context';
import { formatSummary } from '../format';
import { ProgressBar } from '../progress';

/** Collect repeated `--set key=value`. */
export function collectSet(v: string, acc: Record<string, string>): Record<string, string> {
  const i = v.indexOf('=');
  if (i <= 0) throw new UserError(`--set takes key=value (for example --set dmaStopMs=5000); got '${v}'.`);
  acc[v.slice(0, i)] = v.slice(i + 1);
  return acc;
}

export function parseSeed(v: string | undefined): number {
  if (v === undefined) return 1;
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n)) throw new UserError(`--seed must be a non-negative integer; got '${v}'.`);
  return n;
}

interface RunOpts {
  set: Record<string, string>;
  seed?: string;
  out?: string;
  record: boolean;
  json?: boolean;
  verbose?: boolean;
}

export function registerRun(program: Command, ctx: CliContext): void {
  program
    .command('run')
    .description('run a scenario in the sim worker, record its trace (into the archive, or --out) and print its summary')
    .argument('<scenario>', 'scenario id (see `sva-lab scenarios`)')
    .option('--set <key=value>', 'set a parameter (repeatable)', collectSet, {})
    .option('--seed <n>', 'random seed (default 1)')
    .option('--out <file>', 'write the trace to this new file instead of the archive')
    .option('--no-record', 'run in this process without recording a trace')
    .option('--json', 'print the summary (with the trace path) as one JSON document')
    .option('-v, --verbose', 'explain each metric')
    .action(async (scenario: string, opts: RunOpts) => {
      const seed = parseSeed(opts.seed);
      const lab = ctx.lab();
      const docs = (await lab.catalog()).metrics;
      if (!opts.record) {
        if (opts.out !== undefined) throw new UserError('--out and --no-record contradict each other; drop one.');
        const s = lab.simulate({ scenario, params: opts.set, seed });
        process.stdout.write(opts.json ? `${JSON.stringify(s)}\n` : `${formatSummary(s, docs, opts.verbose)}\n`);
        if (s.status === 'failed') process.exitCode = 1;
        return;
      }
      const total = scenario === 'stress' ? Number(opts.set.events ?? 1_000_000) : null;
      const bar = new ProgressBar(scenario, Number.isFinite(total) ? total : null);
      const ac = new AbortController();
      const onSigint = () => {
        if (ac.signal.aborted) return;
        bar.message('cancelling: the trace keeps what was recorded and is marked cancelled');
        ac.abort();
      };
      process.on('SIGINT', onSigint);
      try {
        const r = await lab.record({ scenario, params: opts.set, seed, out: opts.out }, { onProgress: (p) => bar.update(p), signal: ac.signal });
        bar.done();
        if (opts.json) process.stdout.write(`${JSON.stringify(r)}\n`);
        else process.stdout.write(`${formatSummary(r, docs, opts.verbose)}\n  trace     ${r.trace}\n`);
        if (r.status === 'failed') process.exitCode = 1;
        else if (r.status === 'cancelled') process.exitCode = 130;
      } finally {
        bar.done();
        process.off('SIGINT', onSigint);
      }
    });
}
