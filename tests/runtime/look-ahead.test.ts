/**
 * One batch of look-ahead (src/runtime/look-ahead.ts): batch N+1 is read and prepared while N is
 * published, but never published before N is committed and acknowledged, and thrown away
 * (acked failed, nothing committed) when N fails.
 */
import { describe, expect, it } from 'vitest';
import { fakeSource, type FakeRow } from '../helpers/fake-source.js';
import { fakeRunner } from '../helpers/fake-runner.js';
import { memoryPublisher } from '../helpers/memory-publisher.js';
import { journaledStore } from '../helpers/state-store.js';
import { PublishError } from '../../src/core/errors.js';
import { until } from '../helpers/until.js';

function setup(rows: FakeRow[], size: number, journal: string[] = [], publisher = memoryPublisher(journal)) {
  const store = journaledStore(journal, { reads: true });
  const source = Object.assign(fakeSource(rows, size, journal), { readAhead: true });
  const r = fakeRunner({ source, publisher, stateStore: store, type: 'sql' });
  return { r, journal, publisher, store, source };
}

const row = (ref: string, minute: number, status: FakeRow['status'] = 'received'): FakeRow => ({ ref, status, updatedAt: `2025-11-03T09:${String(minute).padStart(2, '0')}:00Z` });
const acted = (journal: string[]) => journal.filter((e) => !e.startsWith('read:') && !e.startsWith('getMany:'));

describe('look-ahead in the runner', () => {
  it('does not prepare a snapshot listing\'s next batch early: each is read and prepared after the one before is committed', async () => {
    const { r, journal, publisher, source } = setup([row('SR1', 0), row('SR2', 1), row('SR3', 2), row('SR4', 3), row('SR5', 4), row('SR6', 5)], 2);
    // Every batch belongs to one listing; the last one is its final batch.
    const read = source.read.bind(source);
    source.read = async function* (opts) {
      for await (const batch of read(opts)) yield { ...batch, snapshot: { id: 'listing-1', final: batch.checkpoint?.offset === 6, onMissing: 'ignore' as const } };
    };
    const gate = publisher.hold();
    const run = r.runOnce(new AbortController().signal);
    await until(() => journal.includes('getMany:SR1,SR2'), 'batch 1 prepared', 30_000);
    // The source may hand over batch 2 (read ahead), but it is not prepared while batch 1 waits.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(journal.some((e) => e.startsWith('getMany:') && e.includes('SR3'))).toBe(false);
    gate.release();
    const summary = await run;
    expect(summary.status).toBe('ok');
    expect(summary.published).toBe(6);
    // Each batch's case lookup comes after the commit of the batch before it.
    const at = (entry: string) => journal.findIndex((e) => e.startsWith(entry));
    expect(at('getMany:SR3')).toBeGreaterThan(at('commit:{"offset":2}'));
    expect(at('getMany:SR5')).toBeGreaterThan(at('commit:{"offset":4}'));
  });

  it('reads and prepares batch N+1 while N is published, and publishes it only after N is committed and acked', async () => {
    const { r, journal, publisher } = setup([row('SR1', 0), row('SR2', 1), row('SR3', 2), row('SR4', 3), row('SR5', 4), row('SR6', 5)], 2);
    const gate = publisher.hold();
    const run = r.runOnce(new AbortController().signal);
    // Batch 2 is read and prepared (its case states looked up) while batch 1's publish waits.
    await until(() => journal.includes('getMany:SR3,SR4'), 'batch 2 prepared while batch 1 is being published', 30_000);
    expect(journal.filter((e) => e.startsWith('publish:') || e.startsWith('commit:'))).toEqual([]);
    expect(journal.includes('read:4-6')).toBe(false); // one batch ahead, no more
    gate.release();
    const summary = await run;
    expect(summary.status).toBe('ok');
    expect(summary.published).toBe(6);
    expect(acted(journal)).toEqual(['publish:2', 'commit:{"offset":2}', 'ack:2', 'publish:2', 'commit:{"offset":4}', 'ack:4', 'publish:2', 'commit:{"offset":6}', 'ack:6']);
  });

  it('leaves N+1 unpublished and uncommitted, and tells its source it failed, when N fails to publish', async () => {
    const { r, journal, publisher, store } = setup([row('SR1', 0), row('SR2', 1), row('SR3', 2), row('SR4', 3)], 2);
    const gate = publisher.hold();
    publisher.failNext(1, false);
    const run = r.runOnce(new AbortController().signal);
    await until(() => journal.includes('read:2-4'), 'batch 2 read while batch 1 is being published', 30_000);
    gate.release();
    const summary = await run;
    expect(summary.status).toBe('failed');
    expect(summary.error).toContain('broker unavailable');
    await until(() => journal.includes('failed:4'), 'batch 2 acked as failed');
    expect(acted(journal)).toEqual(['publish.fail', 'failed:2', 'failed:4']);
    expect(publisher.events).toEqual([]);
    expect(await store.forConnector('fake').checkpoint()).toBeUndefined();
  });

  it('prepares N+1 against the case states N is about to commit, so a repeat across the two is not published twice', async () => {
    // SR1's same version in both batches: only the first may publish it.
    const { r, journal, publisher } = setup([row('SR1', 0), row('SR2', 1), row('SR1', 0), row('SR3', 2)], 2);
    const gate = publisher.hold();
    const run = r.runOnce(new AbortController().signal);
    // SR1 comes from batch 1's pending writes, so only SR3 is looked up in the store.
    await until(() => journal.some((e) => e.startsWith('getMany:') && e.includes('SR3')), 'batch 2 prepared while batch 1 is being published', 30_000);
    gate.release();
    const summary = await run;
    expect(summary.status).toBe('ok');
    expect(publisher.events.map((e) => e.event.subject)).toEqual(['SR1', 'SR2', 'SR3']);
    expect(summary.skippedBy).toEqual({ unchanged: 1 });
  });

  it('prepares N+1 again when N\'s publish set an event aside, so the refused case is not skipped as a repeat', async () => {
    // The broker refuses SR1 in batch 1 (too large) until it has refused it twice (the batch, then
    // the event alone); batch 2 carries the same SR1 again, which must be published, not skipped.
    const journal: string[] = [];
    const inner = memoryPublisher(journal);
    let refusals = 0;
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const publisher = {
      ...inner,
      async publish(events: Parameters<typeof inner.publish>[0]) {
        await gate;
        if (refusals < 2 && events.some((e) => e.event.subject === 'SR1')) {
          refusals++;
          throw new PublishError('record too large (test)', { code: 'kafka_message_too_large', retriable: false });
        }
        await inner.publish(events);
      },
    };
    const { r } = setup([row('SR1', 0), row('SR2', 1), row('SR1', 0), row('SR3', 2)], 2, journal, publisher as typeof inner);
    const run = r.runOnce(new AbortController().signal);
    await until(() => journal.some((e) => e.startsWith('getMany:') && e.includes('SR3')), 'batch 2 prepared while batch 1 is being published', 30_000);
    open();
    const summary = await run;
    expect(summary.status).toBe('ok');
    expect(inner.events.map((e) => e.event.subject)).toEqual(['SR2', 'SR1', 'SR3']);
    expect(inner.deadLetters.map((d) => d.stage)).toEqual(['publish']);
  });
});
