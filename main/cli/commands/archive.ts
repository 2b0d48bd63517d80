import type { Command } from 'commander';
import { fmtNs } from '../../lab/index';
import type { CliContext } from '../context';
import { table } from '../format';

export function registerArchive(program: Command, ctx: CliContext): void {
  program
    .command('list')
    .description('list the runs in the archive (SVA_LAB_HOME or the user-data folder) with scenario, design, parameters, status and key metrics')
    .option('--json', 'print one JSON document')
    .action(async (opts: { json?: boolean }) => {
      const lab = ctx.lab();
      const runs = await lab.listRuns();
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ archive: lab.home, runs })}\n`);
        return;
      }
      if (runs.length === 0) {
        process.stdout.write(`no runs in ${lab.home}\n`);
        return;
      }
      process.stdout.write(`archive ${lab.home}\n`);
      const rows = runs.map((r) => {
        if (r.problem) return [r.id, '-', '-', 'unreadable', '-', '-', '-', '-', r.problem];
        const m = r.metrics;
        const rel = m && m.releaseLatencyNs.count > 0 ? `${fmtNs(m.releaseLatencyNs.p50)} / ${fmtNs(m.releaseLatencyNs.max)}` : '-';
        const params = Object.entries(r.params)
          .filter(([k]) => k !== 'mmExit')
          .map(([k, v]) => `${k}=${v}`)
          .join(' ');
        return [
          r.id,
          r.scenario,
          r.model,
          r.status,
          String(r.events),
          rel,
          m ? `${m.oomVictims} (${m.innocentVictims} innocent)` : '-',
          m ? fmtNs(m.memoryFreedNs) : '-',
          params,
        ];
      });
      process.stdout.write(table(['file', 'scenario', 'design', 'status', 'events', 'release p50 / max', 'OOM victims', 'memory freed', 'parameters'], rows));
    });

  program
    .command('import')
    .description('validate a trace file, then copy it into the archive')
    .argument('<file>', 'trace file')
    .option('--json', 'print one JSON document')
    .action(async (file: string, opts: { json?: boolean }) => {
      const r = await ctx.lab().importTrace({ name: file, path: file });
      if (opts.json) process.stdout.write(`${JSON.stringify(r)}\n`);
      else process.stdout.write(`imported ${file} as ${r.id} (${r.scenario}, ${r.status}, ${r.events} events)\n`);
    });
}
