/**
 * A problem with a trace file that the user can cause or fix (missing, not a trace, corrupt, of
 * another format version, a refused query). The message is one sentence naming the file; the lab
 * service turns it into a UserError.
 */
export class TraceFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TraceFileError';
  }
}
