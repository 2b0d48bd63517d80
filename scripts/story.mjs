#!/usr/bin/env node
// `npm run story`: the lab's main job from the command line. One OOM of an SVA-bound process with
// locked memory and a 60 s device stop, recorded under both designs (mm_exit, then the quiet
// release), then the two compared: release() latency, innocent victims, time until the memory is
// back. The traces stay in the archive; the last lines say how to look at them in the lab.
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = (args, json = true) =>
  execFileSync(process.execPath, [join(root, 'bin/sva-lab.mjs'), ...args, ...(json ? ['--json'] : [])], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });

const set = ['--set', 'dmaStopMs=60000', '--seed', '1'];
const runs = {};
for (const design of ['mm_exit', 'quiet']) {
  process.stderr.write(`Recording oom-bound-victim under the ${design} design…\n`);
  const s = JSON.parse(cli(['run', 'oom-bound-victim', '--set', `mmExit=${design === 'mm_exit'}`, ...set]));
  runs[design] = s.trace;
  process.stdout.write(cli(['summary', s.trace], false));
  process.stdout.write('\n');
}
process.stdout.write('mm_exit (A) against quiet (B):\n');
process.stdout.write(cli(['compare', runs.mm_exit, runs.quiet], false));
const id = (p) => p.split(/[\\/]/).pop();
process.stdout.write(
  // serve prints its address with the session token (http://127.0.0.1:5178/?token=…); the view is
  // that address with this fragment appended.
  `\nLook at both side by side: npx sva-lab serve, then open the address it prints (it carries the session token) with this appended:\n  #/compare/${encodeURIComponent(id(runs.mm_exit))}/${encodeURIComponent(id(runs.quiet))}\n`,
);
