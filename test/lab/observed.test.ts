import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab, type Lab } from '../../main/lab/index';
import { kernelLog, kernelLogsDir } from '../trace/kernelLogs';
import { fingerprint } from '../trace/helpers';
import { importKernelLogs } from './kernelLogRuns';

let home: string;
let lab: Lab;
let ids: Map<string, string>;

beforeAll(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'sva-observed-'));
  lab = createLab(home);
  ids = await importKernelLogs(lab);
});
afterAll(async () => {
  await lab.close();
  fs.rmSync(home, { recursive: true, force: true });
});

const metricsOf = async (n: string) => (await lab.summary(ids.get(n)!)).metrics;

describe('a kernel log imported as an observed run', () => {
  it('is listed as observed, naming its source file, and the source is untouched', async () => {
    const list = await lab.listRuns();
    expect(list).toHaveLength(13);
    for (const r of list) {
      expect(r).toMatchObject({ scenario: 'observed', model: 'observed', status: 'complete' });
      expect(String(r.params.source)).toMatch(/^\d\d-.*\.log$/);
    }
    const f = kernelLog('01-oom-innocent-victim-then-no-killable-panic.log');
    const before = fingerprint(f);
    await lab.importTrace({ name: f, path: f });
    expect(fingerprint(f)).toBe(before);
  });

  it('carries the metrics a log can show, counted from its lines, and names those it cannot', async () => {
    // 01: one "Killed process" (line 117), one "oom_reaper: reaped" (118), one "Kernel panic" (240).
    expect(await metricsOf('01')).toMatchObject({ oomVictims: 1, oomReaped: 1, oomReapFailed: 0, panics: 1, hungTaskReports: 0, faultsPrinted: 0, triggerNs: 251_716_666_000 });
    // 02: lines 1-7 are the DMAR fault lines (4 "DRHD: handling fault status reg", 3 records); the records are reported errors.
    expect(await metricsOf('02')).toMatchObject({ faultsPrinted: 7, reportedErrors: 3, oomVictims: 0 });
    // 03: three AMD-Vi IO_PAGE_FAULT lines (1, 21, 22).
    expect(await metricsOf('03')).toMatchObject({ faultsPrinted: 3 });
    // 06: Killed gotg.exe (record 161), reaped (162).
    expect(await metricsOf('06')).toMatchObject({ oomVictims: 1, oomReaped: 1, triggerNs: 91_308_353_423_000 });
    // 08, 09: one "INFO: task ... blocked for more than N seconds" each (line 1).
    expect(await metricsOf('08')).toMatchObject({ hungTaskReports: 1 });
    expect(await metricsOf('09')).toMatchObject({ hungTaskReports: 1 });
    // 11: "event 0x10 received:" and its 4 raw words; 13: the same plus the 2 decoded lines. One printed event record each.
    expect(await metricsOf('11')).toMatchObject({ faultsPrinted: 5, reportedErrors: 1 });
    expect(await metricsOf('13')).toMatchObject({ faultsPrinted: 7, reportedErrors: 1 });
    // 16: mark_victim is the kill, finish_task_reaping the reap (skip_task_reaping is not a reap).
    expect(await metricsOf('16')).toMatchObject({ oomVictims: 1, oomReaped: 1, triggerNs: 91_836_405_000 });
    // 22: the trigger is the SIGKILL (signal_generate sig=9, line 12).
    expect(await metricsOf('22')).toMatchObject({ oomVictims: 0, triggerNs: 701_305_400_000 });
    const s = await lab.summary(ids.get('01')!);
    expect(s.notObservable).toEqual(expect.arrayContaining(['releaseLatencyNs', 'innocentVictims', 'memoryFreedNs', 'pasidsPeak', 'dmaAfterFree']));
    expect(s.notObservable).not.toContain('oomVictims');
    expect(s.metrics.innocentVictims).toBe(0);
    expect(s.observed).toEqual({ source: '01-oom-innocent-victim-then-no-killable-panic.log', format: 'dmesg', clock: 'monotonic', origin: '', lines: 283, reports: 3 });
    // An ftrace capture has no printk lines: no panics, hung tasks or printed faults can show there.
    expect((await lab.summary(ids.get('17')!)).notObservable).toEqual(expect.arrayContaining(['faultsPrinted', 'hungTaskReports', 'panics']));
  });

  it('keeps every line, as it was, in order, searchable by its text', async () => {
    for (const [n, id] of ids) {
      const raw = fs.readFileSync(kernelLog(fs.readdirSync(kernelLogsDir()).find((f) => f.startsWith(n))!), 'utf8').replace(/\n$/, '').split('\n');
      const q = await lab.query(id, "SELECT json_extract(args_json, '$.text'), json_extract(args_json, '$.line') FROM event_log WHERE kind = 'printk' ORDER BY seq", 100_000);
      expect(q.rows.map((r) => r[1])).toEqual(raw.map((_, i) => i + 1));
      if (n !== '06') expect(q.rows.map((r) => r[0])).toEqual(raw);
    }
    const id = ids.get('04')!;
    const hits = await lab.query(id, "SELECT seq FROM event_log WHERE json_extract(args_json, '$.text') LIKE '%intel_svm_drain_prq%'");
    expect(hits.rows).toHaveLength(2); // line 60 (the chain's #0 stack) and line 94 (the backtrace)
    const [row] = await lab.events(id, { aroundSeq: Number(hits.rows[0][0]), before: 0, after: 0 });
    expect(row.text).toBe('log: [  186.791118]        intel_svm_drain_prq+0x127/0x210');
  });

  it('puts the model\'s events after their lines, on the lanes the model uses, tasks as lanes', async () => {
    const id = ids.get('01')!;
    const info = await lab.openRun(id);
    expect(info.startNs).toBe(246_610_518_000); // the log's own clock: line 1
    expect(info.endNs).toBe(262_588_968_000); // line 283
    expect(info.tracks.map((t) => t.name)).toEqual(expect.arrayContaining(['random:1778', 'random:1770', 'oom_reaper:353', 'dbus-daemon:1155', 'oom killer']));
    const kill = await lab.findEvent(id, 'oom_kill', 0);
    expect(kill).toMatchObject({ tNs: 251_716_666_000, actor: 'oom killer' });
    const line = (await lab.events(id, { aroundSeq: kill!.causeSeq, before: 0, after: 0 }))[0];
    expect(line).toMatchObject({ kind: 'printk', actor: 'random:1778' }); // the allocating task printed it (caller id T1778)
    const reap = await lab.findEvent(id, 'reap_end', 0);
    expect(reap).toMatchObject({ actor: 'oom_reaper:353', b: 1, tNs: 251_795_110_000 });
    const panic = await lab.findEvent(id, 'panic', 0);
    expect(panic).toMatchObject({ actor: 'random:1770' });
    const hung = await lab.findEvent(ids.get('09')!, 'hung_task', 0);
    expect(hung).toMatchObject({ actor: 'hang-pipe-repro:404364', b: 845 });
  });

  it('refuses what is not a kernel log in one sentence, and leaves the archive as it was', async () => {
    const before = (await lab.listRuns()).length;
    const junk = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sva-junk-')), 'notes.txt');
    fs.writeFileSync(junk, 'Dear diary,\nToday I fixed a bug.\n');
    await expect(lab.importTrace({ name: junk, path: junk })).rejects.toThrow(`'${junk}' is not a kernel log: none of its first lines has a kernel timestamp or reads like a kernel message; expected dmesg, syslog, journalctl or ftrace text.`);
    await expect(lab.importTrace({ name: 'blob.bin', bytesBase64: Buffer.from([1, 2, 0, 4, 5]).toString('base64') })).rejects.toThrow("'blob.bin' is not a kernel log: it holds binary data (NUL bytes); expected dmesg, syslog, journalctl or ftrace text.");
    expect((await lab.listRuns()).length).toBe(before);
    expect(fs.readdirSync(home).filter((f) => !f.endsWith('.sqlite'))).toEqual([]);
  });

  it('imports a log given as bytes (the UI\'s drag and drop) under its own name', async () => {
    const bytes = fs.readFileSync(kernelLog('16-ftrace-oom-reaper-tracepoints.log')).toString('base64');
    const item = await lab.importTrace({ name: 'reaper.trace', bytesBase64: bytes });
    expect(item).toMatchObject({ model: 'observed', params: { source: 'reaper.trace', format: 'ftrace' } });
    expect(item.id).toMatch(/-observed-reaper\.trace\.sqlite$/);
  });

  it('is not a run to verify', async () => {
    await expect(lab.verifyRun(ids.get('01')!)).rejects.toThrow(/is an observed run \(the kernel log 01-oom.*\): there is no model run to re-run/);
  });
});

describe('an observed run beside the model', () => {
  it('compares over the metrics both have, without a first divergence', async () => {
    const log = ids.get('01')!;
    const model = await lab.record({ scenario: 'oom-bound-victim', params: { mmExit: true, bystanders: 0 }, seed: 1 });
    const c = await lab.compareRuns(log, model.trace.split('/').pop()!);
    const names = c.metrics.map((d) => d.name);
    expect(names).toEqual(expect.arrayContaining(['oomVictims', 'oomReaped', 'panics', 'hungTaskReports', 'faultsPrinted']));
    for (const hidden of ['releaseLatencyNs.max', 'innocentVictims', 'memoryFreedNs', 'pasidsPeak', 'dmaAfterFree']) expect(names).not.toContain(hidden);
    // The log: one kill, one reap, one panic (lines 117, 118, 240); the model with nothing else to kill: the same.
    expect(c.metrics.find((d) => d.name === 'oomVictims')).toMatchObject({ a: 1, b: 1, direction: 'same' });
    expect(c.metrics.find((d) => d.name === 'panics')).toMatchObject({ a: 1, b: 1 });
    expect(c.firstDivergence).toBeNull();
  });

  it('prints its lines back as they were (sva-lab dmesg)', async () => {
    for (const n of ['01', '02', '04', '05', '09', '22']) {
      const f = fs.readdirSync(kernelLogsDir()).find((x) => x.startsWith(n))!;
      const raw = fs.readFileSync(kernelLog(f), 'utf8').replace(/\n$/, '').split('\n');
      expect((await lab.dmesg(ids.get(n)!)).map((l) => l.text)).toEqual(raw);
    }
  });
});
