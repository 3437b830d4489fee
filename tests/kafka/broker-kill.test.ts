/**
 * SIGKILL the broker in the middle of a stream of publishes and start it again: the publisher
 * fails with retriable errors while it is down, reports it in health, recovers by itself, and
 * afterwards every event is in the topic at least once, duplicates carrying identical ids.
 * Uses a broker of its own (same scripts as `npm test`) so other suites keep theirs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafkaPublisher, strayKafkaRejections, type KafkaPublisher } from '../../src/publish/kafka/create.js';
import { KafkaPublisherConfig } from '../../src/publish/kafka/config.js';
import { systemClock } from '../../src/core/clock.js';
import { PublishError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/core/logger.js';
import type { OutgoingCaseEvent } from '../../src/normalize/build-event.js';
import { brokers, makeEvent, privateBroker, readTopic, type PrivateBroker } from './helpers.js';

let broker: PrivateBroker;
let publisher: KafkaPublisher | undefined;

beforeAll(async () => {
  brokers(); // same precondition as every Kafka suite: run through `npm test`
  broker = await privateBroker();
  await broker.start();
}, 180_000);

afterAll(async () => {
  await publisher?.close();
  await broker?.stop();
}, 60_000);

describe('broker killed mid-stream (publisher level)', () => {
  it('loses nothing: retriable errors while down, automatic recovery, duplicates with identical ids', async () => {
    const config = KafkaPublisherConfig.parse({
      type: 'kafka',
      brokers: [broker.address],
      topic: 'kill-test.{council}.cases',
      deadLetterTopic: 'kill-test.dlq',
      createTopics: true,
      partitions: 3,
      replicationFactor: 1,
      connectionTimeout: '1s',
      requestTimeout: '5s',
      publishTimeout: '10s',
    });
    publisher = createKafkaPublisher(config, { logger: silentLogger(), councils: [{ gss: 'E09000019' }], clock: systemClock });
    await publisher.start();

    const BATCHES = 60;
    const PER_BATCH = 50;
    const KILL_AFTER = 20;
    const batches: OutgoingCaseEvent[][] = Array.from({ length: BATCHES }, (_, b) =>
      Array.from({ length: PER_BATCH }, (_, i) => makeEvent({ reference: `K-${(b * PER_BATCH + i) % 300}`, version: Math.floor((b * PER_BATCH + i) / 300) })),
    );
    const failures: PublishError[] = [];
    let healthWhileDown: { ok: boolean; detail?: string } | undefined;
    let killedAt = 0;
    let brokerBackAt = 0;
    let firstSuccessAfterKill = 0;
    let restart: Promise<void> | undefined;
    const strayBefore = strayKafkaRejections();
    const brokerPid = await broker.pid();
    const t0 = Date.now();

    for (let b = 0; b < BATCHES; b++) {
      for (let attempt = 0; ; attempt++) {
        expect(attempt, `batch ${b} still failing after ${attempt} attempts`).toBeLessThan(300);
        try {
          await publisher.publish(batches[b]!);
          if (killedAt && !firstSuccessAfterKill) firstSuccessAfterKill = Date.now();
          break;
        } catch (e) {
          expect(e).toBeInstanceOf(PublishError);
          expect((e as PublishError).retriable, (e as Error).message).toBe(true);
          failures.push(e as PublishError);
          healthWhileDown ??= publisher.health();
          await new Promise((r) => setTimeout(r, 250));
        }
      }
      if (b === KILL_AFTER) {
        // Kill while the next publishes are in flight, then start it again after a few seconds,
        // while the loop keeps publishing into the outage.
        restart = new Promise<void>((r) => setTimeout(r, 2)).then(async () => {
          await broker.kill(brokerPid);
          killedAt = Date.now();
          await new Promise<void>((r) => setTimeout(r, 3000));
          await broker.start();
          brokerBackAt = Date.now();
        });
      }
    }
    await restart;
    const elapsed = Date.now() - t0;

    expect(failures.length).toBeGreaterThan(0);
    expect(healthWhileDown?.ok).toBe(false);
    expect(healthWhileDown?.detail).toMatch(/failing since/);
    expect(publisher.health().ok).toBe(true);

    const read = await readTopic('kill-test.E09000019.cases', { at: [broker.address] });
    const sent = batches.flat();
    const byId = new Map<string, string[]>();
    for (const m of read) byId.set(m.headers.ce_id!, [...(byId.get(m.headers.ce_id!) ?? []), `${m.key}|${m.value}`]);
    for (const e of sent) expect(byId.has(e.event.id), `event ${e.event.id} (${e.key}) missing`).toBe(true);
    expect(byId.size).toBe(sent.length);
    for (const [id, copies] of byId) expect(new Set(copies).size, `copies of ${id} differ`).toBe(1);
    // Per case, first appearances stay in publish order despite retries.
    const firstSeen = new Map<string, number[]>();
    const seen = new Set<string>();
    for (const m of [...read].sort((a, b) => a.partition - b.partition || a.offset - b.offset)) {
      if (seen.has(m.headers.ce_id!)) continue;
      seen.add(m.headers.ce_id!);
      const v = (JSON.parse(m.value) as { provenance: { position: { line: number } } }).provenance.position.line - 2;
      firstSeen.set(m.key!, [...(firstSeen.get(m.key!) ?? []), v]);
    }
    for (const [key, vs] of firstSeen) expect(vs, key).toEqual([...vs].sort((a, b) => a - b));

    console.log(
      `[broker-kill] ${sent.length} events in ${BATCHES} publishes, ${elapsed} ms; ${failures.length} failed attempts while down; ` +
        `broker back ${brokerBackAt - killedAt} ms after SIGKILL, first publish confirmed ${firstSuccessAfterKill - killedAt} ms after SIGKILL ` +
        `(${firstSuccessAfterKill - brokerBackAt} ms after the broker answered); ${read.length - sent.length} duplicates; ` +
        `stray kafkajs rejections absorbed: ${strayKafkaRejections() - strayBefore}; first error: ${failures[0]?.message}`,
    );
  }, 240_000);
});
