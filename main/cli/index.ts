import { Command, CommanderError } from 'commander';
import { UserError } from '../lab/index';
import { registerArchive } from './commands/archive';
import { registerMatch } from './commands/match';
import { registerRun } from './commands/run';
import { registerScenarios } from './commands/scenarios';
import { registerServe } from './commands/serve';
import { registerSweep } from './commands/sweep';
import { registerTrace } from './commands/trace';
import { cliContext, type CliContext, type Command as CliCommand, type Serve } from './context';

/** The commands, in the order `--help` lists them: a new command is a file in commands/ and a line here. */
const COMMANDS: CliCommand[] = [registerScenarios, registerRun, registerArchive, registerTrace, registerMatch, registerServe, registerSweep];

/**
 * sva-lab: the headless interface. A thin adapter over the lab (createLab); `--json` prints one
 * JSON document on stdout; user errors print one sentence on stderr and exit non-zero.
 */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command('sva-lab')
    .description('SVA Lab: what happens to a process, its SVA-bound device and the OOM killer when the process dies')
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  for (const register of COMMANDS) register(program, ctx);
  return program;
}

/** Run one command line; the exit code: 0, 2 for a user error (one sentence on stderr), 1 for anything else. */
export async function main(argv: string[], serve: Serve): Promise<number> {
  const ctx = cliContext(serve);
  const program = buildProgram(ctx);
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
  } finally {
    await ctx.close();
  }
}
