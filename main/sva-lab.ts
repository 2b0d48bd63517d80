/**
 * The `sva-lab` command's entry point: the CLI adapter (main/cli), handed the web adapter's
 * server for `sva-lab serve`. Adapters never import each other; this file puts the two together.
 */
import { main } from './cli/index';
import { startServer } from './web/server';

// `sva-lab query … | head`: a closed pipe ends the output quietly, as with any Unix tool.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});
process.exitCode = await main(process.argv.slice(2), startServer);
