/**
 * TLS and SASL against a real broker: a private broker with a SASL_SSL listener (a throwaway CA
 * made with openssl, SCRAM users created at storage format), and publisher configs loaded through
 * the real config loader with ${file:} and ${env:} references, as a council would write them.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.js';
import { createKafkaPublisher, type KafkaPublisher } from '../../src/publish/kafka/create.js';
import type { KafkaPublisherConfig } from '../../src/publish/kafka/config.js';
import { systemClock } from '../../src/core/clock.js';
import { PublishError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/core/logger.js';
import { brokers, freePort, makeEvent, privateBroker, readTopic, REPO, uid, type PrivateBroker } from './helpers.js';

const USER = 'casebridge';
const PASSWORD = randomBytes(12).toString('hex');
let dir: string;
let broker: PrivateBroker;
let saslPort: number;
const open: KafkaPublisher[] = [];

function makeCerts(at: string): void {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: at, stdio: 'pipe' });
  for (const ca of ['ca', 'other-ca']) ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${ca}.key`, '-out', `${ca}.pem`, '-days', '2', '-subj', `/CN=casebridge test ${ca}`);
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  writeFileSync(join(at, 'san.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  ssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'san.cnf');
  writeFileSync(join(at, 'server-keystore.pem'), readFileSync(join(at, 'server.key'), 'utf8') + readFileSync(join(at, 'server.crt'), 'utf8'));
}

beforeAll(async () => {
  brokers();
  dir = mkdtempSync(join(tmpdir(), 'cb-tls-'));
  mkdirSync(join(dir, 'certs'));
  makeCerts(join(dir, 'certs'));
  saslPort = await freePort();
  broker = await privateBroker(({ port, cport }) => ({
    extraConfig: [
      `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${cport},SASL_SSL://127.0.0.1:${saslPort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${port},SASL_SSL://127.0.0.1:${saslPort}`,
      'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL',
      'sasl.enabled.mechanisms=SCRAM-SHA-256,SCRAM-SHA-512,PLAIN',
      'listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
      'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
      `listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_${USER}="${PASSWORD}";`,
      'ssl.keystore.type=PEM',
      `ssl.keystore.location=${join(dir, 'certs/server-keystore.pem')}`,
      'ssl.client.auth=none',
      '',
    ].join('\n'),
    formatArgs: `--add-scram SCRAM-SHA-256=[name=${USER},password=${PASSWORD}] --add-scram SCRAM-SHA-512=[name=${USER},password=${PASSWORD}]`,
  }));
  await broker.start();
}, 180_000);

afterAll(async () => {
  for (const p of open) await p.close();
  await broker?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

/** The demo gateway config with a Kafka publisher over SASL_SSL, loaded by the real loader. */
function loadPublisherConfig(opts: { mechanism: string; ca?: string; password?: string; prefix: string }): KafkaPublisherConfig {
  const yaml = readFileSync(join(REPO, 'config/demo/casebridge.yaml'), 'utf8').replace(
    /publisher:\n  type: local-log\n  dir: \.\/var\/events\n/,
    `publisher:
  type: kafka
  brokers: ["127.0.0.1:${saslPort}"]
  topic: "${opts.prefix}.{council}.cases"
  deadLetterTopic: "${opts.prefix}.dead-letters"
  createTopics: true
  replicationFactor: 1
  partitions: 2
  connectionTimeout: 3s
  publishTimeout: 20s
  tls:
    ca: \${file:certs/${opts.ca ?? 'ca.pem'}}
  sasl:
    mechanism: ${opts.mechanism}
    username: ${USER}
    password: \${env:CB_TEST_KAFKA_PASSWORD}
`,
  );
  const loaded = parseConfigText(yaml, join(dir, 'casebridge.yaml'), dir, { CB_TEST_KAFKA_PASSWORD: opts.password ?? PASSWORD });
  if (loaded.config.publisher.type !== 'kafka') throw new Error('expected the kafka publisher');
  expect(loaded.config.publisher.tls?.ca).toContain('-----BEGIN CERTIFICATE-----');
  return loaded.config.publisher;
}

function make(config: KafkaPublisherConfig): KafkaPublisher {
  const p = createKafkaPublisher(config, { logger: silentLogger(), councils: [{ gss: 'E09000019' }], clock: systemClock });
  open.push(p);
  return p;
}

describe('Kafka over TLS with SASL (real broker, SASL_SSL listener)', () => {
  for (const mechanism of ['scram-sha-512', 'scram-sha-256', 'plain']) {
    it(`publishes with SASL ${mechanism} over TLS, CA and password from references`, async () => {
      const prefix = `cbtls-${uid()}`;
      const p = make(loadPublisherConfig({ mechanism, prefix }));
      await p.start();
      const events = Array.from({ length: 20 }, (_, i) => makeEvent({ reference: `TLS-${i}`, version: 0 }));
      await p.publish(events);
      // Read back on the broker's plaintext listener: what went over TLS arrived intact.
      const read = await readTopic(`${prefix}.E09000019.cases`, { at: [`127.0.0.1:${broker.env.KAFKA_PORT}`] });
      expect(read.map((m) => m.headers.ce_id).sort()).toEqual(events.map((e) => e.event.id).sort());
    });
  }

  it('fails with a clear, non-retriable error on a wrong password', async () => {
    const p = make(loadPublisherConfig({ mechanism: 'scram-sha-512', prefix: `cbtls-${uid()}`, password: 'not-the-password' }));
    const err = await p.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PublishError);
    expect((err as PublishError).retriable).toBe(false);
    expect((err as PublishError).code).toBe('kafka_auth');
    expect((err as Error).message).toMatch(/SASL SCRAM SHA512 authentication failed/i);
    expect((err as Error).message).not.toContain('not-the-password');
  });

  it('refuses a broker whose certificate the configured CA did not sign', async () => {
    const p = make(loadPublisherConfig({ mechanism: 'scram-sha-512', prefix: `cbtls-${uid()}`, ca: 'other-ca.pem' }));
    const err = await p.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PublishError);
    expect((err as PublishError).retriable).toBe(false);
    expect((err as Error).message).toMatch(/certificate/i);
  });
});
