import { Command, CommanderError } from 'commander';
import { UserError } from '../lab/errors';
import { registerScenarios } from './commands/scenarios';
import { registerRun } from './commands/run';
import { registerArchive } from './commands/archive';
import { registerTrace } from './commands/trace';
import { registerServe } from './commands/serve';
import { registerSweep } from './commands/sweep';

/**
 * sva-lab: the headless interface. A thin adapter over the lab service; `--json` prints one JSON
 * document on stdout; user errors print one sentence on stderr and exit non-zero.
 */
export function buildProgram(): Command {
  const program = new Command('sva-lab')
    .description('SVA Lab: what happens to a process, its SVA-bound device and the OOM killer when the process dies')
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  registerScenarios(program);
  registerRun(program);
  registerArchive(program);
  registerTrace(program);
  registerServe(program);
  registerSweep(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof UserError) {
      process.stderr.write(`sva-lab: ${e.message}\n`);
      return 2;
    }
    const msg = e instanceof Error ? e.message : String(e);
    process.stderr.write(`sva-lab: internal error: ${msg}\n`);
    if (process.env.SVA_LAB_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
    return 1;
  }
}

// `sva-lab query … | head`: a closed pipe ends the output quietly, as with any Unix tool.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});
const code = await main(process.argv.slice(2));
process.exitCode = code;
