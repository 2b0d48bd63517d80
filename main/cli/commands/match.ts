import fs from 'node:fs';
import type { Command } from 'commander';
import { fmtNs, UserError } from '../../lab/index';
import type { CliContext } from '../context';
import { formatSummary, table } from '../format';

const print = (s: string): void => {
  process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
};

/** A FILE given as a trace (an observed run already imported): named .sqlite, or starting as SQLite does; anything else is a kernel log. */
function isTrace(file: string): boolean {
  if (file.endsWith('.sqlite') || !fs.statSync(file).isFile()) return true;
  const fd = fs.openSync(file, 'r');
  try {
    const b = Buffer.alloc(16);
    return fs.readSync(fd, b, 0, 16, 0) === 16 && b.toString('latin1') === 'SQLite format 3\0';
  } finally {
    fs.closeSync(fd);
  }
}

const fmtFeature = (k: string, v: number | null) => (v === null ? 'never' : k.endsWith('Ns') ? fmtNs(v) : String(v));

export function registerMatch(program: Command, ctx: CliContext): void {
  program
    .command('match')
    .description('find the scenario and parameters whose model run looks most like a real kernel log (imported first as an observed run) or an observed run; --run records the best and compares it with the log')
    .argument('<file>', 'kernel log, or the trace of an observed run')
    .option('--run', 'record the best candidate and compare it with the observed run')
    .option('--json', 'print one JSON document: {observed, match, run?, compare?}')
    .action(async (file: string, opts: { run?: boolean; json?: boolean }) => {
      const lab = ctx.lab();
      if (!fs.existsSync(file)) throw new UserError(`'${file}' does not exist; give a kernel log or the trace of an observed run.`);
      const id = isTrace(file) ? ctx.run(file) : (await lab.importTrace({ name: file, path: file })).id;
      const m = await lab.findMatchingScenario(id);
      const best = m.candidates[0];
      let run: Awaited<ReturnType<typeof lab.record>> | null = null;
      let cmp: Awaited<ReturnType<typeof lab.compareRuns>> | null = null;
      if (opts.run && best) {
        run = await lab.record(best.run);
        cmp = await lab.compareRuns(id, lab.runOf(run.trace));
      }
      if (opts.json) {
        print(JSON.stringify({ observed: lab.fileOf(id), match: m, ...(run ? { run, compare: cmp } : {}) }));
        return;
      }
      print(`observed run ${lab.fileOf(id)}`);
      print(`  matched on ${m.basis === 'oom' ? 'the OOM kill, reap and next-OOM gaps and counts' : m.basis === 'report' ? 'its reports (lock chains, call traces)' : 'the kinds of its lines'}; ${m.tried} model runs tried`);
      for (const l of m.looking) print(`  looking for ${l}`);
      print(`  the log: ${Object.entries(m.observed).filter(([, v]) => v !== null).map(([k, v]) => `${k} ${fmtFeature(k, v)}`).join(', ') || 'nothing the model counts'}`);
      if (m.note) print(`  note: ${m.note}`);
      print(
        table(
          ['score', 'scenario', 'parameters', 'seed', 'how it compares'],
          m.candidates.map((c) => [c.score.toFixed(3), c.run.scenario, Object.entries(c.run.params).map(([k, v]) => `${k}=${String(v)}`).join(' '), String(c.run.seed), c.why]),
        ),
      );
      if (best && !run) print(`run the best: sva-lab run ${best.run.scenario} ${Object.entries(best.run.params).map(([k, v]) => `--set ${k}=${String(v)}`).join(' ')} --seed ${best.run.seed}   (or: sva-lab match ${file} --run)`);
      if (run && cmp) {
        print(formatSummary(run, (await lab.catalog()).metrics));
        print(`  trace     ${run.trace}`);
        const rows = cmp.metrics.map((d) => [d.name, String(d.a), String(d.b), d.delta === null ? '' : (d.delta > 0 ? '+' : '') + String(d.delta)]);
        print(table(['metric (both have it)', 'log', 'model', 'model - log'], rows));
      }
    });
}
