/**
 * The writer worker: owns a trace file's connection while a run records. The sim worker sends
 * it batches (events plus the spans, level-of-detail chunks and checkpoints derived from them)
 * over a MessagePort; it writes each in one transaction and counts them back through shared
 * memory so the sim never runs more than a few batches ahead. Simulating and writing thus
 * overlap on two threads. It lives in the worker pool: it takes one job (a file, a port) by
 * message and, once the run's end is written, waits for the next.
 */
import { parentPort } from 'node:worker_threads';
import { TraceFileError } from '../../trace/errors';
import { fileErrorSentence } from '../../trace/open';
import { TraceWriter } from '../../trace/writer';
import { PIPE_FAILED, PIPE_WRITTEN, type PipeMessage, type PoolJobMessage, type WriterJob, type WriterMessage } from './protocol';

const post = (m: WriterMessage) => parentPort?.postMessage(m);

function runJob(job: WriterJob): void {
  const pipe = new Int32Array(job.pipe);
  const fail = (e0: unknown): void => {
    Atomics.store(pipe, PIPE_FAILED, 1);
    Atomics.notify(pipe, PIPE_WRITTEN);
    // A full disk, a read-only folder, a permission: one sentence naming the trace, a user error.
    const said = e0 instanceof TraceFileError ? null : fileErrorSentence(job.file, e0, 'write');
    const full = said?.startsWith('The disk holding');
    const e = said ? new TraceFileError(full ? `The disk holding '${job.file}' is full: the run stopped there and its trace keeps every batch written before; free some space and run it again.` : `${said.replace(/\.$/, '')} (the trace keeps every batch written before).`) : e0;
    post({ type: 'error', message: e instanceof Error ? e.message : String(e), user: e instanceof TraceFileError });
    job.port.close();
  };

  let writer: TraceWriter | null = null;
  let busyMs = 0;
  try {
    writer = new TraceWriter(job.file, job.header, { checkpointEvery: job.checkpointEvery });
    post({ type: 'opened' });
  } catch (e) {
    fail(e);
    return;
  }

  job.port.on('message', (m: PipeMessage) => {
    const w = writer;
    if (!w) return;
    try {
      if (m.type === 'batch') {
        const t0 = performance.now();
        w.write(m.batch);
        busyMs += performance.now() - t0;
        Atomics.add(pipe, PIPE_WRITTEN, 1);
        Atomics.notify(pipe, PIPE_WRITTEN);
      } else {
        const t0 = performance.now();
        w.finish(m.end);
        if (process.env.SVA_LAB_PIPE_STATS) process.stderr.write(`writer: ${Math.round(busyMs)} ms writing batches, ${Math.round(performance.now() - t0)} ms finishing (indexes)\n`);
        writer = null;
        job.port.close();
        post({ type: 'finished', events: m.end.events });
      }
    } catch (e) {
      writer = null;
      fail(e);
    }
  });
}

parentPort?.on('message', (m: PoolJobMessage<WriterJob>) => {
  if (m.type === 'job') runJob(m.job);
});
