import type { Command } from 'commander';
import { fmtNs } from '../../lab/index';
import type { CliContext } from '../context';
import { formatSummary, table } from '../format';

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
    .description('copy a trace file into the archive (validated first), or import a kernel log (dmesg, dmesg -T, dmesg -H, syslog, journalctl short or -o json, unstamped text, ftrace) as an observed run')
    .argument('<file>', 'trace file or kernel log')
    .option('--json', 'print one JSON document: {trace, kind, summary}')
    .action(async (file: string, opts: { json?: boolean }) => {
      const lab = ctx.lab();
      const r = await lab.importTrace({ name: file, path: file });
      const summary = await lab.summary(r.id);
      const kind = r.model === 'observed' ? 'kernel-log' : 'trace';
      if (opts.json) process.stdout.write(`${JSON.stringify({ trace: lab.fileOf(r.id), kind, summary })}\n`);
      else if (summary.observed) {
        const o = summary.observed;
        process.stdout.write(`imported ${file} as an observed run ${r.id} (${o.format} log: ${o.lines} lines, ${o.reports} reports, ${r.events} events)\n`);
        process.stdout.write(`${formatSummary(summary, (await lab.catalog()).metrics)}\n`);
      } else process.stdout.write(`imported ${file} as ${r.id} (${r.scenario}, ${r.status}, ${r.events} events)\n`);
    });
}
