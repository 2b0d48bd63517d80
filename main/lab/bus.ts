import type { LabEvent, Unsubscribe } from '../contract';

/** The lab's LabEvents: what runs and sweeps report, to whoever subscribed (IPC, the HTTP event stream, the CLI). */
export class Bus {
  private readonly listeners = new Set<(e: LabEvent) => void>();

  emit(e: LabEvent): void {
    for (const l of [...this.listeners]) l(e);
  }

  on(cb: (e: LabEvent) => void): Unsubscribe {
    this.listeners.add(cb);
    return () => {
      this.listeners.delete(cb);
    };
  }
}
