/**
 * Shared by the Kafka integration tests: the broker address, valid case events, an independent
 * reader (a plain kafkajs consumer in its own group; messages decoded by the CloudEvents SDK in the
 * tests), and a private broker for tests that kill one.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { CaseEvent, DATA_SCHEMA_URI, eventTypeFor, type ChangeKind, type LifecycleStatus } from '../../src/event/case-event.js';
import { caseKey, eventId, eventSource, recordFingerprint } from '../../src/event/identity.js';
import type { OutgoingCaseEvent } from '../../src/normalize/build-event.js';

const run = promisify(execFile);
export const REPO = resolve(import.meta.dirname, '../..');
export const KAFKA_SH = join(REPO, 'scripts/kafka/kafka.sh');

/** The broker every Kafka test uses; `npm test` starts one and sets KAFKA_BROKERS. */
export function brokers(): string[] {
  const b = process.env.KAFKA_BROKERS;
  if (!b) {
    throw new Error(
      'KAFKA_BROKERS is not set. Run the tests with `npm test` (it starts a local Kafka broker and sets it), ' +
        'or start one with `npm run kafka start` and set KAFKA_BROKERS=127.0.0.1:19092.',
    );
  }
  return b.split(',').map((s) => s.trim());
}

export const uid = (): string => randomUUID().slice(0, 8);

export interface EventSpec {
  gss?: string;
  connector?: string;
  supplier?: string;
  reference: string;
  version: number;
  status?: LifecycleStatus;
  kind?: ChangeKind;
}

/** A valid CaseEvent (checked against the zod contract) with its partition key. */
export function makeEvent(s: EventSpec): OutgoingCaseEvent {
  const gss = s.gss ?? 'E09000019';
  const connector = s.connector ?? 'islington-waste';
  const supplier = s.supplier ?? 'Whitespace';
  const kind = s.kind ?? (s.version === 0 ? 'created' : 'updated');
  const minute = String(s.version % 60).padStart(2, '0');
  const hour = String(8 + Math.floor(s.version / 60) % 12).padStart(2, '0');
  const updatedAt = `2025-11-03T${hour}:${minute}:00Z`;
  const raw = { ref: s.reference, version: s.version, status: s.status ?? 'received' };
  const event = CaseEvent.parse({
    specversion: '1.0',
    id: eventId({ gss, connector, reference: s.reference, sequence: s.version + 1, fingerprint: recordFingerprint(raw), kind }),
    casesequence: s.version + 1,
    source: eventSource(gss, connector),
    type: eventTypeFor(kind),
    subject: s.reference,
    time: updatedAt,
    datacontenttype: 'application/json',
    dataschema: DATA_SCHEMA_URI,
    data: {
      council: { gss, name: `Council ${gss}` },
      system: { supplier, connector },
      case: {
        reference: s.reference,
        service: { name: 'Missed bin collection', lgsl: 524 },
        status: { lifecycle: s.status ?? 'received', code: `S${s.version}`, label: 'Reported' },
        updatedAt,
      },
      location: { uprn: '5300034721', postcode: 'N1 1XR', latitude: 51.5465, longitude: -0.1058 },
      change: { kind, fields: kind === 'created' ? [] : ['case.status.code'] },
      provenance: { connector, position: { file: 'export.csv', line: s.version + 2 }, fetchedAt: '2025-11-03T14:05:00Z', updatedAtSource: 'supplier' },
      sequence: s.version + 1,
    },
  });
  return { event, key: caseKey({ gss, supplier, reference: s.reference }), council: gss, connector };
}

export interface ReadMessage {
  topic: string;
  partition: number;
  offset: number;
  key: string | undefined;
  value: string;
  headers: Record<string, string>;
}

/** Total records in a topic (sum of high watermarks minus log starts), from the broker itself. */
export async function topicSize(topic: string, at: string[] = brokers()): Promise<number> {
  // Right after a topic is created (or while the broker moves leadership under load) the admin's
  // metadata can name no leader yet and the broker answers NOT_LEADER_OR_FOLLOWER: a state that
  // passes, so ask again with fresh metadata (bounded), rather than failing the test by chance.
  for (let attempt = 1; ; attempt++) {
    const admin = new Kafka({ clientId: 'cb-test-admin', brokers: at, logLevel: logLevel.NOTHING }).admin();
    try {
      await admin.connect();
      const offsets = await admin.fetchTopicOffsets(topic);
      return offsets.reduce((n, o) => n + Number(o.high) - Number(o.low), 0);
    } catch (e) {
      const passing = (e as { retriable?: boolean }).retriable === true || /leader/i.test(String((e as Error).message));
      if (!passing || attempt >= 20) throw e;
    } finally {
      await admin.disconnect();
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Read every record the topic holds now, from the beginning, with a consumer in a fresh group. */
export async function readTopic(topic: string, opts: { at?: string[]; timeoutMs?: number } = {}): Promise<ReadMessage[]> {
  const at = opts.at ?? brokers();
  const expected = await topicSize(topic, at);
  const out: ReadMessage[] = [];
  if (expected === 0) return out;
  const kafka = new Kafka({ clientId: 'cb-test-reader', brokers: at, logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `cb-test-reader-${uid()}`, sessionTimeout: 10_000, heartbeatInterval: 1000 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolveRead, reject) => {
      const timer = setTimeout(() => reject(new Error(`read only ${out.length} of ${expected} records from ${topic}`)), opts.timeoutMs ?? 60_000);
      consumer
        .run({
          eachMessage: async ({ topic: t, partition, message }) => {
            const headers: Record<string, string> = {};
            for (const [k, v] of Object.entries(message.headers ?? {})) if (v !== undefined) headers[k] = Array.isArray(v) ? v.map(String).join(',') : v.toString();
            out.push({ topic: t, partition, offset: Number(message.offset), key: message.key?.toString(), value: message.value?.toString() ?? '', headers });
            if (out.length >= expected) {
              clearTimeout(timer);
              resolveRead();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return out;
}

/** A port nobody listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => res(port));
    });
  });
}

/** A broker of our own (same scripts as `npm test`), for tests that kill it. */
export interface PrivateBroker {
  address: string;
  env: NodeJS.ProcessEnv;
  start(): Promise<void>;
  pid(): Promise<number>;
  /** SIGKILL the broker (pid looked up first unless given) and wait until it is gone. */
  kill(knownPid?: number): Promise<number>;
  /** Stop it and delete its data. */
  stop(): Promise<void>;
}

export interface BrokerSetup {
  /** Appended to server.properties (later keys win). */
  extraConfig?: string;
  /** Extra arguments for the first storage format (e.g. SCRAM users). */
  formatArgs?: string;
  /** Cluster id for the first storage format (default: random). */
  clusterId?: string;
}

export async function privateBroker(configure?: (ports: { port: number; cport: number }) => BrokerSetup): Promise<PrivateBroker> {
  const port = await freePort();
  let cport = await freePort();
  while (cport === port) cport = await freePort();
  const stateDir = mkdtempSync(join(tmpdir(), 'cb-kafka-node-'));
  const env: NodeJS.ProcessEnv = { ...process.env, KAFKA_PORT: String(port), KAFKA_CONTROLLER_PORT: String(cport), KAFKA_STATE_DIR: stateDir };
  const setup = configure?.({ port, cport }) ?? {};
  if (setup.extraConfig) {
    writeFileSync(join(stateDir, 'extra.properties'), setup.extraConfig);
    env.KAFKA_EXTRA_CONFIG = join(stateDir, 'extra.properties');
  }
  if (setup.formatArgs) env.KAFKA_FORMAT_ARGS = setup.formatArgs;
  if (setup.clusterId) env.KAFKA_CLUSTER_ID = setup.clusterId;
  const sh = (cmd: string) => run('bash', [KAFKA_SH, cmd], { env, timeout: 180_000 });
  const b: PrivateBroker = {
    address: `127.0.0.1:${port}`,
    env,
    start: async () => {
      await sh('start');
    },
    pid: async () => Number((await sh('pid')).stdout.trim()),
    kill: async (knownPid?: number) => {
      const pid = knownPid ?? (await b.pid());
      process.kill(pid, 'SIGKILL');
      for (let i = 0; i < 100; i++) {
        try {
          process.kill(pid, 0);
        } catch {
          return pid;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`broker pid ${pid} survived SIGKILL`);
    },
    stop: async () => {
      await sh('stop');
      rmSync(env.KAFKA_STATE_DIR!, { recursive: true, force: true });
    },
  };
  return b;
}
