/** An in-memory publisher for unit tests: records calls in order, can be told to fail or stall. */
import type { DeadLetter } from '../../src/core/dead-letter.js';
import { PublishError } from '../../src/core/errors.js';
import type { Publisher } from '../../src/core/publisher.js';
import type { CaseEvent } from '../../src/event/case-event.js';
import type { OutgoingCaseEvent } from '../../src/normalize/build-event.js';

export interface MemoryPublisher extends Publisher<CaseEvent> {
  events: OutgoingCaseEvent[];
  deadLetters: DeadLetter[];
  /** Every call in order, for asserting publish-before-commit. */
  log: string[];
  failNext(times: number, retriable?: boolean): void;
  /** Make publish wait until release() is called. */
  hold(): { release(): void };
}

export function memoryPublisher(journal: string[] = []): MemoryPublisher {
  let failures = 0;
  let retriableFailure = true;
  let gate: Promise<void> | undefined;
  const p: MemoryPublisher = {
    events: [],
    deadLetters: [],
    log: journal,
    async start() {
      journal.push('publisher.start');
    },
    async publish(events) {
      if (gate) await gate;
      if (failures > 0) {
        failures--;
        journal.push('publish.fail');
        throw new PublishError('broker unavailable (test)', { retriable: retriableFailure, code: 'test' });
      }
      journal.push(`publish:${events.length}`);
      p.events.push(...events);
    },
    async deadLetter(letters) {
      journal.push(`deadLetter:${letters.length}`);
      p.deadLetters.push(...letters);
    },
    health: () => ({ ok: failures === 0 }),
    async close() {
      journal.push('publisher.close');
    },
    failNext(times, retriable = true) {
      failures = times;
      retriableFailure = retriable;
    },
    hold() {
      let release!: () => void;
      gate = new Promise<void>((r) => (release = r));
      return {
        release: () => {
          gate = undefined;
          release();
        },
      };
    },
  };
  return p;
}
