import type { Command } from 'commander';
import type { CliContext } from '../context';
import { formatScenarios } from '../format';

export function registerScenarios(program: Command, ctx: CliContext): void {
  program
    .command('scenarios')
    .description('list the scenarios with their parameters (types, defaults, ranges) and the metric definitions')
    .option('--json', 'print one JSON document')
    .action(async (opts: { json?: boolean }) => {
      const c = await ctx.lab().catalog();
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(c, null, 2)}\n`);
        return;
      }
      process.stdout.write(formatScenarios(c.scenarios));
      process.stdout.write('metrics:\n');
      for (const [k, d] of Object.entries(c.metrics)) process.stdout.write(`  ${k}: ${d}\n`);
    });
}
