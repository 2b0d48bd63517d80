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
    .option('--token <token>', 'the session token every request must carry (default: SVA_LAB_TOKEN, else a random one); printed in the URL')
    .option('--max-upload-mib <n>', 'largest trace file an upload may be, in MiB', '2048')
    .action(async (opts: { port: string; build: boolean; token?: string; maxUploadMib: string }) => {
      const port = Number(opts.port);
      if (!/^\d+$/.test(opts.port) || port > 65535) throw new UserError(`--port must be an integer from 0 to 65535; got '${opts.port}'.`);
      const token = opts.token ?? process.env.SVA_LAB_TOKEN;
      if (token !== undefined && !/^[A-Za-z0-9._~-]{16,200}$/.test(token)) throw new UserError('The session token (--token or SVA_LAB_TOKEN) must be 16 to 200 letters, digits or . _ ~ -, so that it is hard to guess and fits in a URL.');
      const mib = Number(opts.maxUploadMib);
      if (!Number.isInteger(mib) || mib < 1 || mib > 1_048_576) throw new UserError(`--max-upload-mib must be an integer from 1 to 1048576; got '${opts.maxUploadMib}'.`);
      const root = path.resolve(import.meta.dirname, '../../..');
      const rendererDir = path.join(root, 'out/renderer');
      if (opts.build) await ensureRendererBuilt(root);
      let srv;
      try {
        srv = await ctx.serve(ctx.lab(), { port, rendererDir, token, maxUploadBytes: mib * 1024 * 1024 });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new UserError(`Port ${port} on 127.0.0.1 is in use; choose another with --port (0 picks a free one).`);
        throw e;
      }
      // A long-lived lab: traces a killed recorder left 'running' are closed as interrupted (in a worker).
      void ctx.lab().recoverInterrupted();
      process.stderr.write(`SVA Lab is serving on ${srv.url}  (127.0.0.1 only; the token in the URL lets you in; Ctrl-C stops it)\n`);
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
