/**
 * Turns decoded messages into one projection write: valid events are projected, invalid ones
 * become dead letters with their reason and where they came from, and the whole lot (with the
 * source position when the store keeps it) commits in one transaction.
 */
import { sha256Hex } from '../../event/identity.js';
import type { Logger } from '../../core/logger.js';
import type { TrackMetrics } from '../metrics.js';
import { project, type ProjectedEvent } from '../projection.js';
import type { ApplyResult, ProjectionStore, TrackDeadLetter } from '../store/store.js';
import type { Decoded } from '../tracked-event.js';

export interface Incoming {
  decoded: Decoded;
  /** Where it came from, for dead letters and logs: "topic/partition@offset" or "file:line". */
  from: string;
}

export interface Applier {
  apply(items: readonly Incoming[], position?: { source: string; value: string }): Promise<ApplyResult>;
}

export function createApplier(deps: { store: ProjectionStore; metrics: TrackMetrics; logger: Logger; now?: () => Date }): Applier {
  const now = deps.now ?? (() => new Date());
  return {
    async apply(items, position) {
      const events: ProjectedEvent[] = [];
      const deadLetters: TrackDeadLetter[] = [];
      for (const { decoded, from } of items) {
        if (decoded.ok) {
          events.push(project(decoded.event, decoded.key, decoded.sequence));
        } else {
          deadLetters.push({ id: sha256Hex(`${from}\n${JSON.stringify(decoded.raw)}`).slice(0, 32), source: from, reason: decoded.reason, raw: decoded.raw, at: now().toISOString() });
          deps.logger.warn({ from, reason: decoded.reason }, 'case event failed the contract: dead-lettered');
        }
      }
      const stop = deps.metrics.applyDuration.startTimer();
      const result = await deps.store.apply({ events, deadLetters, ...(position ? { position } : {}) });
      stop();
      deps.metrics.events.inc({ result: 'applied' }, result.changed.length);
      deps.metrics.events.inc({ result: 'stale' }, result.stale);
      deps.metrics.events.inc({ result: 'duplicate' }, result.duplicates);
      deps.metrics.events.inc({ result: 'dead_letter' }, deadLetters.length);
      return result;
    },
  };
}
