/**
 * Publish-only, casebridge side: N ready-made events through the Kafka publisher (acks=all,
 * idempotent, binary CloudEvents), in publish() calls of BATCH events one after another — the
 * way the runtime hands over one connector batch at a time. Prints one JSON line.
 *
 *   node --import tsx bench/scenarios/publish-casebridge.ts --brokers 127.0.0.1:19092 --topic T --events 100000 --batch 500
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { KafkaPublisherConfig, createKafkaPublisher } from '../../src/publish/kafka/create.js';
import { systemClock } from '../../src/core/clock.js';
import { createLogger } from '../../src/core/logger.js';
import { GSS } from './data.js';
import { makeEvents, recordSizes } from './events.js';

const { values } = parseArgs({
  options: {
    brokers: { type: 'string' },
    topic: { type: 'string' },
    events: { type: 'string' },
    batch: { type: 'string' },
    sizes: { type: 'boolean' },
    // CloudEvents content mode: binary (default; 8 ce_* headers) or structured (1 header).
    mode: { type: 'string' },
    // Write a CPU profile of the timed part only (event building excluded) to this file.
    'cpu-profile': { type: 'string' },
  },
});
const n = Number(values.events ?? 100_000);
const batch = Number(values.batch ?? 500);

const events = await makeEvents(n);
const sizes = recordSizes(events);
if (values.sizes) {
  process.stdout.write(JSON.stringify(sizes) + '\n');
  process.exit(0);
}

const publisher = createKafkaPublisher(
  KafkaPublisherConfig.parse({ type: 'kafka', brokers: (values.brokers ?? '127.0.0.1:19092').split(','), topic: values.topic, deadLetterTopic: values.topic, mode: values.mode ?? 'binary' }),
  { logger: createLogger({ level: 'warn' }), clock: systemClock, councils: [{ gss: GSS }] },
);
await publisher.start();
const profile = values['cpu-profile'] ? await startProfile() : undefined;
const t0 = performance.now();
for (let i = 0; i < events.length; i += batch) await publisher.publish(events.slice(i, i + batch));
const seconds = (performance.now() - t0) / 1000;
if (profile) writeFileSync(values['cpu-profile']!, JSON.stringify(await profile.stop()));
await publisher.close();
process.stdout.write(
  JSON.stringify({ events: n, seconds, perSecond: n / seconds, mbPerSecond: (n * sizes.total) / seconds / 1024 / 1024, recordBytes: sizes.total, valueBytes: sizes.value }) + '\n',
);

async function startProfile(): Promise<{ stop(): Promise<unknown> }> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    async stop() {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      return profile;
    },
  };
}
