import type { Command as Program } from 'commander';
import type { LabApi, RunId } from '../contract';
import { archiveDir, createLab, type Lab } from '../lab/index';

/** Serve a lab over HTTP on 127.0.0.1 (the web adapter's startServer, handed in by the entry point). */
export type Serve = (lab: LabApi, opts: { port: number; rendererDir: string; token?: string; maxUploadBytes?: number }) => Promise<{ url: string; close: () => Promise<void> }>;

/** What a command has to work with: the process's lab, and the web adapter for `serve`. */
export interface CliContext {
  /** The lab over the archive (SVA_LAB_HOME or the user-data folder), created on first use. */
  lab(): Lab;
  /** The RunId of a FILE argument (a trace file path, in the archive or not). */
  run(file: string): RunId;
  serve: Serve;
  /** Close the lab if one was made (readers, idle workers). */
  close(): Promise<void>;
}

/** A command: registers itself (name, arguments, options, action) on the program. */
export type Command = (program: Program, ctx: CliContext) => void;

export function cliContext(serve: Serve, home: () => string = archiveDir): CliContext {
  let lab: Lab | null = null;
  const ctx: CliContext = {
    lab: () => (lab ??= createLab(home())),
    run: (file) => ctx.lab().runOf(file),
    serve,
    close: async () => {
      await lab?.close();
    },
  };
  return ctx;
}
