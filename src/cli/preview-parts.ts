/** The parts `preview` swaps into the ordinary gateway so that it runs `run`'s path but changes nothing. */
import type { ConnectorConfig } from '../config/schema.js';
import type { Source, SourceBatch, SourceFactory } from '../core/source.js';
import type { DeadLetter } from '../core/dead-letter.js';
import type { Publisher } from '../core/publisher.js';
import type { CaseEvent } from '../event/case-event.js';
import type { OutgoingCaseEvent } from '../normalize/build-event.js';

/** Prints (through the callbacks) what `run` would publish; nothing is written anywhere else. */
export function createPreviewPublisher(out: { onEvents(events: OutgoingCaseEvent[]): void; onDeadLetters(letters: DeadLetter[]): void }): Publisher<CaseEvent> {
  return {
    start: async () => undefined,
    publish: async (events) => out.onEvents(events),
    deadLetter: async (letters) => out.onDeadLetters(letters),
    health: () => ({ ok: true, detail: 'preview: nothing is published' }),
    close: async () => undefined,
  };
}

export interface PreviewLimit {
  max: number;
  /** Records and source rejects handed to the pipeline so far. */
  seen: number;
  /** True once the preview stopped because of the limit. */
  reached: boolean;
}

/**
 * Wraps a source so its batches are never acknowledged (no file moved, no 200 to a supplier) and
 * the read stops after `limit.max` records. A committed outcome reaches the source as `previewed`: it
 * may count (that decides what a real ack would do) but acts on nothing. A batch cut short is no longer a snapshot's last one,
 * so a limited preview never shows cases "disappearing" that were merely not read.
 */
export function limitedNoAckSource(factory: SourceFactory<ConnectorConfig>, limit: PreviewLimit): SourceFactory<ConnectorConfig> {
  return (config, deps) => {
    const source = factory(config, deps);
    const wrapped: Source = {
      ...(source.check ? { check: () => source.check!() } : {}),
      close: () => source.close(),
      ...(source.continuous !== undefined ? { continuous: source.continuous } : {}),
      async *read(ctx) {
        for await (const batch of source.read(ctx)) {
          const room = limit.max - limit.seen;
          const rejects = (batch.rejects ?? []).slice(0, room);
          const records = batch.records.slice(0, room - rejects.length);
          const cut = records.length < batch.records.length || rejects.length < (batch.rejects?.length ?? 0);
          limit.seen += records.length + rejects.length;
          const previewBatch: SourceBatch = {
            ...batch,
            records,
            rejects,
            ...(batch.snapshot && cut ? { snapshot: { ...batch.snapshot, final: false } } : {}),
            ack: (outcome) => (outcome.status === 'committed' ? batch.ack({ ...outcome, status: 'previewed' }) : Promise.resolve()),
          };
          yield previewBatch;
          if (limit.seen >= limit.max) {
            limit.reached = true;
            return;
          }
        }
      },
    };
    return wrapped;
  };
}
