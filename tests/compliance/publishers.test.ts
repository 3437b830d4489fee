/**
 * The publisher half of docs/connector-spec.md, for every publisher kind: what publish() promises
 * is read back independently of the publisher (a separate Kafka consumer, the files on disk).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeadLetter } from '../../src/core/dead-letter.js';
import { ConfigError, isRetriable, PublishError } from '../../src/core/errors.js';
import { makeEvent, uid } from '../kafka/helpers.js';
import { PUBLISHER_KINDS } from './publishers/index.js';
import type { LivePublisher } from './publishers/types.js';

function letter(n: number): DeadLetter {
  return DeadLetter.parse({
    id: `${uid()}${uid()}${uid()}${uid()}`.replace(/-/g, '').padEnd(32, String(n % 10)).slice(0, 32),
    council: 'E09000019',
    connector: 'compliance',
    stage: 'mapping',
    reason: `status code "ZZ${n}" is not in lookup "status"`,
    code: 'unknown_status',
    position: { file: 'export.csv', line: n + 2 },
    record: { ref: `DL-${n}`, status: `ZZ${n}` },
    at: '2025-11-03T15:00:00Z',
  });
}

async function failure(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => undefined,
    (e: unknown) => e,
  );
}

describe.each(PUBLISHER_KINDS)('publisher compliance: $name', (kind) => {
  let live: LivePublisher;
  beforeEach(async () => {
    live = await kind.open();
    await live.publisher.start();
  }, 120_000);
  afterEach(async () => {
    await live.publisher.close();
    await live.teardown();
  }, 120_000);

  it('P1 publish() resolves only once the events are stored: an independent reader finds every one', async () => {
    const ref = `PUB-${uid()}`;
    const events = Array.from({ length: 40 }, (_, i) => makeEvent({ reference: `${ref}-${i % 8}`, version: Math.floor(i / 8) }));
    await live.publisher.publish(events);
    // Read straight after resolving, with nothing flushed or closed in between.
    const stored = await live.readEvents();
    expect(stored.map((s) => s.id).sort()).toEqual(events.map((e) => e.event.id).sort());
  }, 180_000);

  it('P2 keeps the order of events of one case across and within publishes', async () => {
    const refs = [`ORD-${uid()}`, `ORD-${uid()}`, `ORD-${uid()}`];
    const sent = [];
    for (let call = 0; call < 3; call++) {
      const batch = [];
      for (let v = call * 4; v < call * 4 + 4; v++) for (const reference of refs) batch.push(makeEvent({ reference, version: v }));
      await live.publisher.publish(batch);
      sent.push(...batch);
    }
    const stored = await live.readEvents();
    for (const reference of refs) {
      expect(stored.filter((s) => s.subject === reference).map((s) => s.id), reference).toEqual(sent.filter((e) => e.event.subject === reference).map((e) => e.event.id));
    }
  }, 180_000);

  it('P3 dead letters do not hold up the events after them, and are stored too', async () => {
    const letters = [letter(1), letter(2), letter(3)];
    await live.publisher.deadLetter(letters);
    const events = [makeEvent({ reference: `AFTER-${uid()}`, version: 0 })];
    await live.publisher.publish(events);
    expect((await live.readEvents()).map((s) => s.id)).toEqual(events.map((e) => e.event.id));
    expect((await live.readDeadLetters()).sort()).toEqual(letters.map((l) => l.id).sort());
  }, 180_000);

  it('P4 close() is safe to call twice', async () => {
    await live.publisher.publish([makeEvent({ reference: `CLOSE-${uid()}`, version: 0 })]);
    await live.publisher.close();
    await live.publisher.close();
    expect(await live.readEvents()).toHaveLength(1);
  }, 180_000);

  if (kind.errors) {
    const errors = kind.errors;
    it('P5 an unreachable destination is a retriable PublishError', async () => {
      const u = await errors.unreachable();
      try {
        let err = await failure(u.publisher.start());
        if (err === undefined) {
          await u.whenStarted?.();
          err = await failure(u.publisher.publish([makeEvent({ reference: `DOWN-${uid()}`, version: 0 })]));
        }
        expect(err, String(err)).toBeInstanceOf(PublishError);
        expect(isRetriable(err), String(err)).toBe(true);
      } finally {
        await u.teardown();
      }
    }, 180_000);

    it('P6 a config mistake is a ConfigError', async () => {
      const m = await errors.misconfigured();
      try {
        const err = await failure(m.publisher.start());
        expect(err, String(err)).toBeInstanceOf(ConfigError);
        expect(isRetriable(err)).toBe(false);
      } finally {
        await m.teardown();
      }
    }, 180_000);
  }
});
