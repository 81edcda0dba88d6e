/**
 * Pending "connect a data source" confirmations behind `connect_data_source`'s URL elicitation.
 * The tool opens one (an unguessable id), asks the person to visit `/connect/<id>` on this server, and
 * waits until the page's button confirms it. Entries expire so an abandoned flow leaves nothing behind.
 */
import { randomUUID } from "node:crypto";

const CONNECTION_TTL_MS = 15 * 60 * 1000;

interface PendingConnection {
  source: string;
  confirmed: boolean;
  expiresAt: number;
  waiters: Set<() => void>;
}

export type ConfirmationOutcome = "confirmed" | "aborted" | "timed_out" | "unknown";

export class DataSourceConnections {
  private readonly pending = new Map<string, PendingConnection>();

  open(source: string): string {
    this.sweep();
    const id = randomUUID();
    this.pending.set(id, {
      source,
      confirmed: false,
      expiresAt: Date.now() + CONNECTION_TTL_MS,
      waiters: new Set(),
    });
    return id;
  }

  /** The data source a live connection id stands for, or undefined. */
  sourceOf(id: string): string | undefined {
    this.sweep();
    return this.pending.get(id)?.source;
  }

  isConfirmed(id: string): boolean {
    return this.pending.get(id)?.confirmed ?? false;
  }

  /** Marks the connection confirmed (the person pressed the button); false for unknown or expired ids. */
  confirm(id: string): boolean {
    this.sweep();
    const entry = this.pending.get(id);
    if (!entry) return false;
    entry.confirmed = true;
    for (const wake of entry.waiters) wake();
    entry.waiters.clear();
    return true;
  }

  /** Resolves when the connection is confirmed, the signal aborts, or `timeoutMs` passes. */
  waitForConfirmation(id: string, signal: AbortSignal, timeoutMs: number): Promise<ConfirmationOutcome> {
    const entry = this.pending.get(id);
    if (!entry) return Promise.resolve("unknown");
    if (entry.confirmed) return Promise.resolve("confirmed");
    if (signal.aborted) return Promise.resolve("aborted");
    return new Promise((resolve) => {
      const finish = (outcome: ConfirmationOutcome): void => {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        entry.waiters.delete(onConfirmed);
        resolve(outcome);
      };
      const onConfirmed = (): void => finish("confirmed");
      const onAbort = (): void => finish("aborted");
      const timer = setTimeout(() => finish("timed_out"), timeoutMs);
      entry.waiters.add(onConfirmed);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  forget(id: string): void {
    this.pending.delete(id);
  }

  private sweep(): void {
    const now = Date.now();
    for (const [id, entry] of this.pending)
      if (entry.expiresAt < now && entry.waiters.size === 0) this.pending.delete(id);
  }
}
