/**
 * Notifications waiting to be published. The HTTP handler submits one batch per request and waits;
 * the source's read() takes batches in arrival order and yields them to the runtime. The request
 * is answered from the batch's ack: outcome committed → success, failed (publishing failed) →
 * error; or a timeout (→ error): the supplier retries on an error, and a retried
 * notification gives the same event ids, so nothing is lost and nothing is doubled downstream.
 */
import type { SourceBatch, SourceRecord, SourceReject } from '../../core/source.js';

export type Outcome = { ok: true } | { ok: false; status: number; reason: string; retryAfterSeconds?: number };

interface Item {
  batch: SourceBatch;
  taken: boolean;
  settled: boolean;
  settle(o: Outcome): void;
}

export interface Submission {
  outcome: Promise<Outcome>;
  /** The client went away: drop the batch if the runtime has not taken it yet. */
  cancel(): void;
}

export class Inbox {
  private readonly queue: Item[] = [];
  private readonly live = new Set<Item>();
  private waiter: (() => void) | undefined;
  private closed = false;

  constructor(
    private readonly maxPending: number,
    private readonly ackTimeoutMs: number,
  ) {}

  get pending(): number {
    return this.live.size;
  }

  submit(records: SourceRecord[], rejects: SourceReject[]): Submission {
    if (this.closed) return { outcome: Promise.resolve({ ok: false, status: 503, reason: 'receiver is shutting down', retryAfterSeconds: 30 }), cancel: () => undefined };
    if (this.live.size >= this.maxPending) {
      return { outcome: Promise.resolve({ ok: false, status: 503, reason: 'too many notifications waiting to be published', retryAfterSeconds: 5 }), cancel: () => undefined };
    }
    let resolve!: (o: Outcome) => void;
    const outcome = new Promise<Outcome>((r) => (resolve = r));
    const item: Item = {
      taken: false,
      settled: false,
      settle: (o) => {
        if (item.settled) return;
        item.settled = true;
        clearTimeout(timer);
        this.live.delete(item);
        const i = this.queue.indexOf(item);
        if (i >= 0) this.queue.splice(i, 1);
        resolve(o);
      },
      batch: {
        records,
        ...(rejects.length ? { rejects } : {}),
        // A preview publishes nothing: the supplier hears nothing until the timeout (retry later).
        ack: async (outcome) => {
          if (outcome.status === 'committed') item.settle({ ok: true });
          else if (outcome.status === 'failed') item.settle({ ok: false, status: 503, reason: 'the notification could not be published; retry later', retryAfterSeconds: 30 });
        },
      },
    };
    const timer = setTimeout(
      () => item.settle({ ok: false, status: 503, reason: `the notification was not published within ${this.ackTimeoutMs} ms; retry later`, retryAfterSeconds: 30 }),
      this.ackTimeoutMs,
    );
    this.live.add(item);
    this.queue.push(item);
    this.waiter?.();
    return {
      outcome,
      cancel: () => {
        if (!item.taken) item.settle({ ok: false, status: 499, reason: 'client went away' });
      },
    };
  }

  /** Next batch in arrival order; undefined once the signal aborts. */
  async take(signal: AbortSignal): Promise<SourceBatch | undefined> {
    for (;;) {
      if (signal.aborted || this.closed) return undefined;
      const item = this.queue.shift();
      if (item) {
        item.taken = true;
        return item.batch;
      }
      await new Promise<void>((resolve) => {
        const done = () => {
          signal.removeEventListener('abort', done);
          this.waiter = undefined;
          resolve();
        };
        this.waiter = done;
        signal.addEventListener('abort', done, { once: true });
      });
    }
  }

  /** Answer everything still waiting with an error. */
  close(reason: string): void {
    this.closed = true;
    for (const item of [...this.live]) item.settle({ ok: false, status: 503, reason, retryAfterSeconds: 30 });
    this.waiter?.();
  }
}
