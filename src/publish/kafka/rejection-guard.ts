/**
 * kafkajs sometimes rejects a promise that nothing awaits (a request timing out after its retrier
 * gave up, a socket closing under a pending request: tulios/kafkajs#1686, #702). Under Node's
 * default that crashes the process. While a Kafka publisher is alive we take those — and only
 * those — as a failed request the publisher already reports; anything else keeps Node's default.
 */
/** What the guard tells a live publisher (KafkaPublisher implements it). */
export interface StrayFailureListener {
  noteStrayFailure(reason: unknown): void;
}

const active = new Set<StrayFailureListener>();
let installed = false;
let strays = 0;

export function isKafkaJsError(reason: unknown): boolean {
  return reason instanceof Error && reason.name.startsWith('KafkaJS');
}

function onUnhandledRejection(reason: unknown): void {
  if (isKafkaJsError(reason)) {
    strays++;
    for (const p of active) p.noteStrayFailure(reason);
    return;
  }
  // Ours is the only listener, so without this Node would silently swallow the rejection.
  if (process.listenerCount('unhandledRejection') === 1) throw reason;
}

export function noteKafkaPublisher(p: StrayFailureListener): void {
  active.add(p);
  if (!installed) {
    installed = true;
    process.on('unhandledRejection', onUnhandledRejection);
  }
}

export function forgetKafkaPublisher(p: StrayFailureListener): void {
  active.delete(p);
  if (active.size === 0 && installed) {
    installed = false;
    process.off('unhandledRejection', onUnhandledRejection);
  }
}

/** How many stray kafkajs rejections were absorbed (for tests and diagnostics). */
export function strayKafkaRejections(): number {
  return strays;
}
