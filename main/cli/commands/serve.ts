import path from 'node:path';
import type { Command } from 'commander';
import { ensureRendererBuilt, UserError } from '../../lab/index';
import type { CliContext } from '../context';

export function registerServe(program: Command, ctx: CliContext): void {
  program
    .command('serve')
    .description('serve the lab in a browser: the built renderer plus the LabApi over HTTP on 127.0.0.1')
    .option('--port <n>', 'port on 127.0.0.1 (default 5178; 0 picks a free one)', '5178')
    .option('--no-build', 'do not build the renderer if it is missing or out of date')
    .action(async (opts: { port: string; build: boolean }) => {
      const port = Number(opts.port);
      if (!/^\d+$/.test(opts.port) || port > 65535) throw new UserError(`--port must be an integer from 0 to 65535; got '${opts.port}'.`);
      const root = path.resolve(import.meta.dirname, '../../..');
      const rendererDir = path.join(root, 'out/renderer');
      if (opts.build) await ensureRendererBuilt(root);
      let srv;
      try {
        srv = await ctx.serve(ctx.lab(), { port, rendererDir });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new UserError(`Port ${port} on 127.0.0.1 is in use; choose another with --port (0 picks a free one).`);
        throw e;
      }
      process.stderr.write(`SVA Lab is serving on ${srv.url}  (127.0.0.1 only; Ctrl-C stops it)\n`);
      process.stdout.write(`${srv.url}\n`);
      await new Promise<void>((resolve) => {
        const stop = () => {
          void srv.close().then(resolve);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
