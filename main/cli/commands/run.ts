import type { Command } from 'commander';
import { metricDocs } from '../../lab/catalog';
import { UserError } from '../../lab/errors';
import { runInline } from '../../lab/run_inline';
import { formatSummary } from '../format';

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

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run a scenario and print its summary')
    .argument('<scenario>', 'scenario id (see `sva-lab scenarios`)')
    .option('--set <key=value>', 'set a parameter (repeatable)', collectSet, {})
    .option('--seed <n>', 'random seed (default 1)')
    .option('--json', 'print the summary as one JSON document')
    .option('-v, --verbose', 'explain each metric')
    .action((scenario: string, opts: { set: Record<string, string>; seed?: string; json?: boolean; verbose?: boolean }) => {
      const s = runInline(scenario, opts.set, parseSeed(opts.seed));
      if (opts.json) process.stdout.write(`${JSON.stringify(s)}\n`);
      else process.stdout.write(`${formatSummary(s, metricDocs(), opts.verbose)}\n`);
      if (s.status === 'failed') process.exitCode = 1;
    });
}
