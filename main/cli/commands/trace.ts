import type { Command } from 'commander';
import { fmtNs, parseRange, parseTimeNs, QUERY_DEADLINE_MS, QUERY_DEFAULT_ROWS, QUERY_MAX_ROWS, UserError, whyJson } from '../../lab/index';
import { csvField, StreamOut } from '../stream';
import type { CliContext } from '../context';
import { formatDivergence, formatSummary, formatWhy, table } from '../format';

const collect = (v: string, acc: string[]) => [...acc, v];
const print = (s: string): void => {
  process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
};
const printJson = (v: unknown): void => print(JSON.stringify(v));

/** The commands over one recorded run (or two), each named by its trace file's path. */
export function registerTrace(program: Command, ctx: CliContext): void {
  program
    .command('summary')
    .description('the summary of a recorded run, metrics recomputed from its events')
    .argument('<file>', 'trace file')
    .option('--json', 'print one JSON document')
    .option('-v, --verbose', 'explain each metric')
    .action(async (file: string, opts: { json?: boolean; verbose?: boolean }) => {
      const s = await ctx.lab().summary(ctx.run(file));
      if (opts.json) printJson(s);
      else print(`${formatSummary(s, (await ctx.lab().catalog()).metrics, opts.verbose)}\n  trace     ${s.trace}`);
    });

  program
    .command('dmesg')
    .description('the kernel log of a recorded run, as dmesg prints it ([    5.123456] stamps from boot)')
    .argument('<file>', 'trace file')
    .option('--json', 'print one JSON document: [{seq, tNs, level, text}]')
    .action(async (file: string, opts: { json?: boolean }) => {
      const lines = await ctx.lab().dmesg(ctx.run(file));
      if (opts.json) return printJson(lines);
      if (lines.length > 0) print(lines.map((l) => l.text).join('\n'));
    });

  program
    .command('compare')
    .description('metric differences (b - a) and the first event where two runs differ')
    .argument('<a>', 'trace file')
    .argument('<b>', 'trace file')
    .option('--json', 'print one JSON document')
    .option('--all', 'list equal metrics too')
    .action(async (a: string, b: string, opts: { json?: boolean; all?: boolean }) => {
      const c = await ctx.lab().compareRuns(ctx.run(a), ctx.run(b));
      if (opts.json) return printJson(c);
      const rows = c.metrics
        .filter((d) => opts.all || d.a !== d.b)
        .map((d) => [d.name, String(d.a), String(d.b), d.delta === null ? '' : (d.delta > 0 ? '+' : '') + String(d.delta)]);
      print(rows.length ? table(['metric', 'a', 'b', 'b - a'], rows) : 'metrics: identical');
      print(c.firstDivergence ? formatDivergence(c.firstDivergence) : 'event streams: identical');
    });

  program
    .command('verify')
    .description('re-run the recorded scenario, parameters and seed in the worker; exit 0 if the digest matches')
    .argument('<file>', 'trace file')
    .option('--json', 'print one JSON document')
    .action(async (file: string, opts: { json?: boolean }) => {
      const v = await ctx.lab().verifyRun(ctx.run(file));
      if (!v.match) process.exitCode = 1;
      if (opts.json) return printJson({ trace: file, ...v });
      if (v.match) print(`verified: ${file} reproduces (${v.events} events, digest ${v.digest})${v.note ? `; ${v.note}` : ''}`);
      else {
        print(`MISMATCH: ${file} does not reproduce (recorded digest ${v.recordedDigest}, ${v.recordedEvents} events; re-run digest ${v.digest}, ${v.events} events)${v.note ? `; ${v.note}` : ''}`);
        if (v.firstDivergence) print(formatDivergence(v.firstDivergence));
      }
    });

  program
    .command('export')
    .description('export a trace: chrome-json (Chrome Trace Event JSON, opens in Perfetto UI) or csv (the event_log view)')
    .argument('<file>', 'trace file')
    .requiredOption('--format <format>', 'chrome-json or csv')
    .requiredOption('--out <file>', 'output file')
    .option('--json', 'print one JSON document')
    .action(async (file: string, opts: { format: string; out: string; json?: boolean }) => {
      const r = await ctx.lab().exportTo(ctx.run(file), opts.format, opts.out);
      if (opts.json) printJson(r);
      else print(`wrote ${r.out} (${r.format}, ${r.bytes} bytes)`);
    });

  program
    .command('query')
    .description('run one read-only SQL statement on a trace (tables: meta, events, kinds, actors, spans, checkpoints, lod, annotations; view event_log), in a worker with a deadline')
    .argument('<file>', 'trace file')
    .argument('<sql>', 'the statement, e.g. "SELECT kind, count(*) FROM event_log GROUP BY kind"')
    .option('--limit <n>', `at most this many rows (default ${QUERY_DEFAULT_ROWS}; a table shows at most ${QUERY_MAX_ROWS}, --json and --csv stream any number)`)
    .option('--timeout <seconds>', `stop the query after this long (default ${QUERY_DEADLINE_MS / 1000})`)
    .option('--json', 'print one JSON document {columns, rows, truncated}, streamed')
    .option('--csv', 'print CSV with a header line, streamed')
    .action(async (file: string, sql: string, opts: { json?: boolean; csv?: boolean; limit?: string; timeout?: string }) => {
      const limit = opts.limit === undefined ? QUERY_DEFAULT_ROWS : Number(opts.limit);
      if (!Number.isSafeInteger(limit) || limit < 1) throw new UserError(`--limit must be a positive integer; got '${opts.limit}'.`);
      const timeout = opts.timeout === undefined ? QUERY_DEADLINE_MS / 1000 : Number(opts.timeout);
      if (!(timeout > 0 && timeout <= 86_400)) throw new UserError(`--timeout must be a number of seconds from 0 to 86400; got '${opts.timeout}'.`);
      if (opts.json && opts.csv) throw new UserError('Choose one of --json and --csv.');
      const deadlineMs = Math.round(timeout * 1000);
      if (!opts.json && !opts.csv) {
        if (limit > QUERY_MAX_ROWS) throw new UserError(`A table shows at most ${QUERY_MAX_ROWS} rows; got --limit ${limit}: use --json or --csv to stream more.`);
        const q = await ctx.lab().query(ctx.run(file), sql, limit, { deadlineMs });
        print(table(q.columns, q.rows.map((r) => r.map((v) => (v === null ? 'NULL' : String(v))))));
        if (q.truncated) process.stderr.write(`sva-lab: only the first ${q.rows.length} rows are shown (--limit).\n`);
        return;
      }
      // Streamed: each batch of rows is written as it arrives, so memory stays bounded whatever the limit.
      const out = new StreamOut();
      let first = true;
      const q = await ctx.lab().query(ctx.run(file), sql, limit, {
        deadlineMs,
        onColumns: (columns) => out.write(opts.json ? `{"columns":${JSON.stringify(columns)},"rows":[` : `${columns.map(csvField).join(',')}\n`),
        onRows: (rows) => {
          let s = '';
          for (const r of rows) {
            if (opts.json) {
              s += `${first ? '' : ','}${JSON.stringify(r)}`;
              first = false;
            } else s += `${r.map(csvField).join(',')}\n`;
          }
          out.write(s);
        },
      });
      if (opts.json) out.write(`],"truncated":${q.truncated}}\n`);
      await out.end();
      if (q.truncated) process.stderr.write(`sva-lab: only the first ${limit} rows were written (--limit).\n`);
    });

  program
    .command('why')
    .description('why did event N happen: its causes walked back to the root reasons (waits on, held by, because of), one sentence a step')
    .argument('<file>', 'trace file')
    .requiredOption('--seq <n>', 'the event (its seq, as the event list and `query` show it)')
    .option('--json', 'print one JSON document: {seq, steps: [{seq, t_ns, kind, actor, relation, text}], roots}')
    .action(async (file: string, opts: { seq: string; json?: boolean }) => {
      const seq = Number(opts.seq);
      if (!Number.isSafeInteger(seq) || seq < 1) throw new UserError(`--seq must be an event number (a positive integer); got '${opts.seq}'.`);
      const w = await ctx.lab().explain(ctx.run(file), seq);
      if (w.note) process.stderr.write(`sva-lab: ${w.note}\n`);
      if (opts.json) return printJson(whyJson(w));
      print(formatWhy(w));
    });

  program
    .command('state')
    .description('the full model state at each time (checkpoint + replay); prints a JSON array in the order given')
    .argument('<file>', 'trace file')
    .requiredOption('--at <time>', 'time: ns, or with a unit (5ms, 1.5s); repeatable', collect, [])
    .option('--json', 'print compact JSON')
    .action(async (file: string, opts: { at: string[]; json?: boolean }) => {
      const times = opts.at.map((t) => parseTimeNs(t, '--at time'));
      const id = ctx.run(file);
      const s = [];
      for (const t of times) s.push(await ctx.lab().state(id, t));
      print(opts.json ? JSON.stringify(s) : JSON.stringify(s, null, 2));
    });

  program
    .command('window')
    .description('the timeline data of a view WIDTH pixels wide over each range, as the lab UI receives it (at most about 2 items per pixel per track)')
    .argument('<file>', 'trace file')
    .requiredOption('--range <from:to>', 'time range, e.g. 0:5ms; repeatable', collect, [])
    .requiredOption('--width <px>', 'view width in pixels')
    .option('--track <ids>', 'only these actor ids (comma-separated)')
    .option('--json', 'print one JSON document: the WindowDto of each range')
    .action(async (file: string, opts: { range: string[]; width: string; track?: string; json?: boolean }) => {
      const width = Number(opts.width);
      if (!Number.isInteger(width) || width < 1 || width > 100_000) throw new UserError(`The width must be an integer number of pixels from 1 to 100000; got '${opts.width}'.`);
      const ranges = opts.range.map(parseRange);
      const tracks = opts.track?.split(',').map((x) => {
        const n = Number(x);
        if (!Number.isInteger(n) || n < 1) throw new UserError(`--track takes actor ids (positive integers, comma-separated); got '${x}'.`);
        return n;
      });
      const lab = ctx.lab();
      const id = ctx.run(file);
      if (opts.json) {
        // Streamed, one range at a time: the answer for hundreds of ranges never sits in memory whole.
        const out = new StreamOut();
        out.write('[');
        for (let i = 0; i < ranges.length; i++) {
          const g = ranges[i];
          out.write(`${i > 0 ? ',' : ''}${JSON.stringify(await lab.window(id, g.fromNs, g.toNs, width, tracks))}`);
        }
        out.write(']\n');
        await out.end();
        return;
      }
      const lanes = new Map((await lab.openRun(id)).tracks.map((t) => [t.id, t]));
      for (const g of ranges) {
        const w = await lab.window(id, g.fromNs, g.toNs, width, tracks);
        print(`${fmtNs(w.fromNs)} .. ${fmtNs(w.toNs)} at ${width} px: buckets of ${fmtNs(w.bucketNs)}`);
        const rows = w.tracks.map((t) => [String(t.id), lanes.get(t.id)?.name ?? '?', lanes.get(t.id)?.type ?? '?', String(t.spans.length), String(t.states.length), String(t.instants.length), String(t.counters.reduce((n, c) => n + c.points.length, 0))]);
        print(table(['actor', 'name', 'track', 'spans', 'states', 'instants', 'counter points'], rows));
      }
    });
}
