/**
 * Streamed output for answers too large to build as one string (a query of millions of rows, a
 * window of many ranges): writes go to stdout in chunks of about a MiB as they are produced.
 * (stdout to a file, a pipe or a terminal is written synchronously on Linux and macOS, so memory
 * stays bounded by a chunk.)
 */
export class StreamOut {
  private parts: string[] = [];
  private size = 0;
  constructor(private readonly out: NodeJS.WritableStream = process.stdout) {}
  write(s: string): void {
    this.parts.push(s);
    this.size += s.length;
    if (this.size >= 1 << 20) this.flush();
  }
  private flush(): void {
    if (this.parts.length === 0) return;
    this.out.write(this.parts.join(''));
    this.parts = [];
    this.size = 0;
  }
  /** Write what is left and wait until it is handed to the system. */
  async end(): Promise<void> {
    const s = this.parts.join('');
    this.parts = [];
    this.size = 0;
    await new Promise<void>((ok) => this.out.write(s, () => ok()));
  }
}

/** A CSV field (RFC 4180 quoting). */
export function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}
