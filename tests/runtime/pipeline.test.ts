import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/core/clock.js';
import { createMetrics } from '../../src/runtime/metrics.js';
import { processBatch } from '../../src/runtime/pipeline.js';
import { fakeNormalize, fakeRecord, fakeSource, type FakeRow } from '../helpers/fake-source.js';
import { fakeRunner } from '../helpers/fake-runner.js';
import type { BatchOutcome } from '../../src/core/source.js';
import { memoryPublisher } from '../helpers/memory-publisher.js';
import { journaledStore } from '../helpers/state-store.js';

const council = { gss: 'E09000019', name: 'Islington' };

function runner(rows: FakeRow[], size: number, journal: string[], publisher = memoryPublisher(journal), store = journaledStore(journal)) {
  const source = fakeSource(rows, size, journal);
  const metrics = createMetrics();
  const r = fakeRunner({ source, publisher, stateStore: store, metrics });
  return { r, publisher, store, source, metrics };
}

const rows: FakeRow[] = [
  { ref: 'SR1', status: 'received', updatedAt: '2025-11-03T09:00:00Z' },
  { ref: 'SR2', status: 'received', updatedAt: '2025-11-03T09:01:00Z' },
  { ref: 'SR1', status: 'in_progress', updatedAt: '2025-11-03T10:00:00Z' },
  { ref: 'SR3', status: 'received', updatedAt: '2025-11-03T10:05:00Z', bad: true, code: 'ZZ' },
  { ref: 'SR1', status: 'closed', updatedAt: '2025-11-03T11:00:00Z' },
];

describe('pipeline ordering', () => {
  it('publishes, then commits, then acknowledges, batch by batch', async () => {
    const journal: string[] = [];
    const { r } = runner(rows, 2, journal);
    const summary = await r.runOnce(new AbortController().signal);
    expect(summary.status).toBe('ok');
    expect(journal).toEqual([
      'read:0-2',
      'publish:2',
      'commit:{"offset":2}',
      'ack:2',
      'read:2-4',
      'publish:1',
      'deadLetter:1',
      'commit:{"offset":4}',
      'ack:4',
      'read:4-5',
      'publish:1',
      'commit:{"offset":5}',
      'ack:5',
    ]);
  });

  it('derives event types from the change and dead-letters the bad record without blocking the rest', async () => {
    const journal: string[] = [];
    const { r, publisher, metrics } = runner(rows, 2, journal);
    await r.runOnce(new AbortController().signal);
    expect(await metrics.registry.metrics()).toContain('casebridge_dead_letters_total{connector="fake",stage="mapping"} 1');
    expect(publisher.events.map((e) => [e.event.subject, e.event.data.change.kind])).toEqual([
      ['SR1', 'created'],
      ['SR2', 'created'],
      ['SR1', 'status_changed'],
      ['SR1', 'closed'],
    ]);
    expect(publisher.events[2]!.event.data.change.previousStatus).toBe('received');
    expect(publisher.deadLetters).toHaveLength(1);
    expect(publisher.deadLetters[0]).toMatchObject({ connector: 'fake', stage: 'mapping', position: { file: 'fake.csv', line: 5 } });
    expect(publisher.deadLetters[0]!.reason).toContain('"ZZ"');
  });

  it('commits nothing and acks nothing when publishing fails, and resumes from the last commit', async () => {
    const journal: string[] = [];
    const publisher = memoryPublisher(journal);
    const { r, store } = runner(rows, 2, journal, publisher);
    publisher.failNext(0);
    // First batch succeeds, then the broker goes away for the second batch.
    const origPublish = publisher.publish.bind(publisher);
    let calls = 0;
    publisher.publish = async (events) => {
      calls++;
      if (calls === 2) publisher.failNext(1);
      return origPublish(events);
    };
    const failed = await r.runOnce(new AbortController().signal);
    expect(failed.status).toBe('failed');
    expect(failed.error).toContain('broker unavailable');
    expect(r.status).toBe('backing_off');
    expect(await store.forConnector('fake').checkpoint()).toEqual({ offset: 2 });
    expect(journal.slice(-2)).toEqual(['publish.fail', 'failed:4']);
    expect(journal).not.toContain('ack:4');

    const again = await r.runOnce(new AbortController().signal);
    expect(again.status).toBe('ok');
    expect(journal.filter((j) => j.startsWith('read:'))).toEqual(['read:0-2', 'read:2-4', 'read:2-4', 'read:4-5']);
    expect(await store.forConnector('fake').checkpoint()).toEqual({ offset: 5 });
  });

  it('tells the source the batch failed when the commit fails after publishing, and acks nothing as committed', async () => {
    const journal: string[] = [];
    const store = journaledStore(journal);
    const real = store.forConnector.bind(store);
    let commits = 0;
    store.forConnector = (name) => {
      const s = real(name);
      return {
        ...s,
        async commit(u) {
          if (++commits === 2) {
            journal.push('commit.fail');
            throw new Error('state store unreachable (test)');
          }
          await s.commit(u);
        },
      };
    };
    const { r } = runner(rows, 2, journal, memoryPublisher(journal), store);
    const failed = await r.runOnce(new AbortController().signal);
    expect(failed.status).toBe('failed');
    expect(journal.slice(-2)).toEqual(['commit.fail', 'failed:4']);
    expect(journal.indexOf('commit.fail')).toBeGreaterThan(journal.lastIndexOf('publish:2'));
    expect(journal).not.toContain('ack:4');
  });

  it('retries retriable failures with backoff until they clear', async () => {
    const journal: string[] = [];
    const publisher = memoryPublisher(journal);
    const { r } = runner(rows, 5, journal, publisher);
    publisher.failNext(3);
    const backoffs: number[] = [];
    r.on('backoff', (b: { delay: number }) => backoffs.push(b.delay));
    const s = await r.runWithRetry(new AbortController().signal);
    expect(s.status).toBe('ok');
    expect(backoffs).toHaveLength(3);
    expect(publisher.events).toHaveLength(4);
  });

  it('stops the connector on a non-retriable failure without retrying', async () => {
    const journal: string[] = [];
    const publisher = memoryPublisher(journal);
    const { r } = runner(rows, 5, journal, publisher);
    publisher.failNext(1, false);
    const s = await r.runWithRetry(new AbortController().signal);
    expect(s.status).toBe('failed');
    expect(r.status).toBe('failed');
    expect(journal.filter((j) => j === 'publish.fail')).toHaveLength(1);
  });

  it('never runs two overlapping runs of one connector', async () => {
    const journal: string[] = [];
    const publisher = memoryPublisher(journal);
    const { r } = runner(rows, 5, journal, publisher);
    const gate = publisher.hold();
    const a = r.runOnce(new AbortController().signal);
    const b = r.runOnce(new AbortController().signal);
    expect(b).toBe(a);
    gate.release();
    await a;
    expect(journal.filter((j) => j.startsWith('read:'))).toEqual(['read:0-5']);
  });

  it('abandons an unpublished batch uncommitted on shutdown', async () => {
    const journal: string[] = [];
    const { store } = runner(rows, 2, journal);
    const abort = new AbortController();
    abort.abort();
    const batch = {
      records: [],
      checkpoint: { offset: 99 },
      ack: async (outcome: BatchOutcome) => void journal.push(`ack:${outcome.status}`),
    };
    await expect(
      processBatch(batch, { connector: 'fake', council, normalize: fakeNormalize, publisher: memoryPublisher(journal), state: store.forConnector('fake'), clock: fixedClock('2025-01-01T00:00:00Z'), signal: abort.signal }),
    ).rejects.toThrow(/shutting down/);
    expect(await store.forConnector('fake').checkpoint()).toBeUndefined();
    expect(journal).toEqual(['ack:failed']);
  });

  it('tells the source what became of its batch in one ack, counts included, after the commit', async () => {
    const journal: string[] = [];
    const { store } = runner(rows, 2, journal);
    const outcomes: BatchOutcome[] = [];
    const state = store.forConnector('fake');
    const batch = {
      records: [fakeRecord({ ref: 'A', status: 'received', updatedAt: '2025-11-03T10:00:00Z' }, 0), fakeRecord({ ref: 'B', status: 'received', code: 'ZZ', updatedAt: '2025-11-03T10:00:00Z', bad: true }, 1)],
      checkpoint: { offset: 2 },
      ack: async (outcome: BatchOutcome) => {
        // The checkpoint is already committed when the source hears the outcome.
        journal.push(`checkpoint:${JSON.stringify(await state.checkpoint())}`);
        outcomes.push(outcome);
      },
    };
    await processBatch(batch, { connector: 'fake', council, normalize: fakeNormalize, publisher: memoryPublisher(journal), state, clock: fixedClock('2025-11-03T11:00:00Z') });
    expect(outcomes).toEqual([{ status: 'committed', published: 1, deadLettered: 1, skipped: 0 }]);
    expect(journal.at(-1)).toBe('checkpoint:{"offset":2}');
  });
});

describe('change semantics through the pipeline', () => {
  it('suppresses repeats and never moves a case back in time', async () => {
    const journal: string[] = [];
    const { r, publisher } = runner(
      [
        { ref: 'A', status: 'in_progress', updatedAt: '2025-11-03T10:00:00Z' },
        { ref: 'A', status: 'in_progress', updatedAt: '2025-11-03T10:30:00Z' },
        { ref: 'A', status: 'received', updatedAt: '2025-11-03T09:00:00Z' },
      ],
      1,
      journal,
    );
    const s = await r.runOnce(new AbortController().signal);
    expect(publisher.events).toHaveLength(1);
    expect(s.skipped).toBe(2);
  });
});

describe('an event the publisher refuses', () => {
  it('becomes a dead letter and does not block the events after it', async () => {
    const journal: string[] = [];
    const publisher = memoryPublisher(journal);
    const { PublishError } = await import('../../src/core/errors.js');
    const publish = publisher.publish.bind(publisher);
    publisher.publish = async (events) => {
      if (events.some((e) => e.event.subject === 'SR2')) {
        throw new PublishError('broker refused a record: MESSAGE_TOO_LARGE', { retriable: false, code: 'kafka_message_too_large' });
      }
      return publish(events);
    };
    const store = journaledStore(journal);
    const { r } = runner(rows, 5, journal, publisher, store);
    const s = await r.runOnce(new AbortController().signal);
    expect(s.status).toBe('ok');
    expect(publisher.events.map((e) => `${e.event.subject}:${e.event.data.change.kind}`)).toEqual(['SR1:created', 'SR1:status_changed', 'SR1:closed']);
    const refused = publisher.deadLetters.find((d) => d.stage === 'publish')!;
    expect(refused).toMatchObject({ code: 'kafka_message_too_large', position: { file: 'fake.csv', line: 3 } });
    expect(refused.reason).toContain('MESSAGE_TOO_LARGE');
    // The refused case is not remembered as published, so the record is not skipped next time.
    expect(await store.forConnector('fake').get('case', 'SR2')).toBeUndefined();
    expect(await store.forConnector('fake').checkpoint()).toEqual({ offset: 5 });
  });
});
