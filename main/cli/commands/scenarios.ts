import type { Command } from 'commander';
import { listScenarios, metricDocs } from '../../lab/catalog';
import { formatScenarios } from '../format';

export function registerScenarios(program: Command): void {
  program
    .command('scenarios')
    .description('list the scenarios with their parameters (types, defaults, ranges) and the metric definitions')
    .option('--json', 'print one JSON document')
    .action((opts: { json?: boolean }) => {
      const list = listScenarios();
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ scenarios: list, metrics: metricDocs() }, null, 2)}\n`);
        return;
      }
      process.stdout.write(formatScenarios(list));
      process.stdout.write('metrics:\n');
      for (const [k, d] of Object.entries(metricDocs())) process.stdout.write(`  ${k}: ${d}\n`);
    });
}
