import { fmtNs, type Progress } from '../lab/index';

/**
 * A one-line progress bar on stderr, drawn only when stderr is a terminal (scripts and pipes see
 * nothing). `total` (events) gives a percentage when the scenario has an event budget.
 */
export class ProgressBar {
  private readonly on: boolean;
  private last = 0;
  constructor(
    private readonly label: string,
    private readonly total: number | null,
    stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.on = stream.isTTY === true;
    this.stream = stream;
  }
  private readonly stream: NodeJS.WriteStream;

  update(p: Progress): void {
    if (!this.on) return;
    const now = Date.now();
    if (now - this.last < 100) return;
    this.last = now;
    const width = 24;
    let bar: string;
    if (this.total && this.total > 0) {
      const f = Math.min(1, p.events / this.total);
      const full = Math.round(f * width);
      bar = `[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${(f * 100).toFixed(0).padStart(3)}%`;
    } else {
      const pos = Math.floor(now / 120) % width;
      bar = `[${'.'.repeat(pos)}#${'.'.repeat(width - pos - 1)}]`;
    }
    const rate = p.eventsPerSec >= 1e6 ? `${(p.eventsPerSec / 1e6).toFixed(2)}M` : `${Math.round(p.eventsPerSec / 1e3)}k`;
    this.stream.write(`\r${this.label} ${bar} ${p.events.toLocaleString('en')} events  t=${fmtNs(p.tNs)}  ${rate} ev/s\x1b[K`);
  }

  message(s: string): void {
    if (this.on) this.stream.write(`\r${s}\x1b[K\n`);
  }

  done(): void {
    if (this.on) this.stream.write('\r\x1b[K');
  }
}
