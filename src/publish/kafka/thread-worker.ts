/**
 * The Kafka publisher's worker thread: runs the in-thread KafkaPublisher (kafkajs, record
 * encoding, CRC-32C, their garbage) off the main thread, which meanwhile prepares the next batch.
 * Requests are handled as they come, like concurrent calls on the in-thread publisher.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { pino } from 'pino';
import { systemClock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import { KafkaPublisher } from './publisher.js';
import { serializeError, type Reply, type Request, type WorkerInit } from './thread-protocol.js';

const port = parentPort;
if (!port) throw new Error('thread-worker.ts runs only as a worker thread');
const init = workerData as WorkerInit;
const post = (m: Reply) => port.postMessage(m);

const logger: Logger = pino(
  { level: init.logLevel, base: null, timestamp: false, formatters: { level: (label: string) => ({ level: label }) } },
  { write: (line: string) => post({ type: 'log', line }) },
);
const publisher = new KafkaPublisher(init.config, { logger, councils: init.councils, clock: systemClock, ...(init.connectors ? { connectors: init.connectors } : {}) });

port.on('message', (req: Request) => {
  void run(req).then(
    () => post({ type: 'reply', id: req.id, health: publisher.health() }),
    (err: unknown) => post({ type: 'reply', id: req.id, error: serializeError(err), health: publisher.health() }),
  );
});

function run(req: Request): Promise<void> {
  switch (req.op) {
    case 'start':
      return publisher.start();
    case 'publish':
      return publisher.publish(req.events);
    case 'deadLetter':
      return publisher.deadLetter(req.letters);
    case 'close':
      return publisher.close();
  }
}
