/**
 * The reader worker: the lab's reads of files it does not trust and of SQL it did not write, off
 * the coordinating thread. It takes one job by message (protocol.ts ReaderJob) and answers with
 * ReaderMessages; a job that runs past its deadline gets the worker terminated (SQLite's progress
 * handler is compiled out of this build, so a thread that can be killed is the bound). Lives in
 * the worker pool like the sim and writer workers.
 */
import { parentPort } from 'node:worker_threads';
import { checkAndCopy } from '../../trace/copy';
import { TraceFileError } from '../../trace/errors';
import { exportChromeJson, exportCsv } from '../../trace/export';
import { readError, TraceReader } from '../../trace/reader';
import { closeAbandoned } from '../../trace/recover';
import type { PoolJobMessage, ReaderJob, ReaderMessage } from './protocol';

/**
 * The channel to the lab: a worker thread's parentPort, or, when this module runs as a child
 * process (user SQL, see read.ts: only a process can be killed while SQLite loops in native code),
 * the process's IPC channel.
 */
const port: { postMessage(m: ReaderMessage): void; on(ev: 'message', fn: (m: PoolJobMessage<ReaderJob>) => void): void } | null =
  parentPort ??
  (process.send
    ? {
        postMessage: (m) => void process.send!(m),
        on: (_ev, fn) => void process.on('message', (m) => fn(m as PoolJobMessage<ReaderJob>)),
      }
    : null);
const post = (m: ReaderMessage) => port?.postMessage(m);

async function run(job: ReaderJob): Promise<unknown> {
  switch (job.op) {
    case 'query': {
      const r = new TraceReader(job.file);
      try {
        let batch: unknown[][] = [];
        const q = r.queryEach(
          job.sql,
          job.limit,
          (row) => {
            batch.push(row);
            if (batch.length >= job.chunk) {
              post({ type: 'rows', rows: batch });
              batch = [];
            }
          },
          (columns) => post({ type: 'columns', columns }),
        );
        if (batch.length > 0) post({ type: 'rows', rows: batch });
        return q;
      } finally {
        r.close();
      }
    }
    case 'import':
      return checkAndCopy(job.src, job.dest);
    case 'close-abandoned':
      return closeAbandoned(job.file, job.as, job.error);
    case 'export': {
      const r = new TraceReader(job.file);
      try {
        return job.format === 'csv' ? exportCsv(r, job.out) : exportChromeJson(r, job.out);
      } finally {
        r.close();
      }
    }
  }
}

port?.on('message', (m: PoolJobMessage<ReaderJob>) => {
  if (m.type !== 'job') return;
  const job = m.job;
  run(job).then(
    (value) => post({ type: 'done', value }),
    (e0: unknown) => {
      // Values of a shape no trace has, met while decoding the file, are said of the file.
      const e = readError(job.op === 'import' ? job.src : job.file, e0);
      post({ type: 'error', message: e instanceof Error ? e.message : String(e), user: e instanceof TraceFileError, code: (e0 as { code?: string })?.code });
    },
  );
});
