/** The Kafka publisher's config: TLS/SASL rules, topic templates, and errors located by the loader. */
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.js';
import { ConfigError } from '../../src/core/errors.js';
import { KafkaPublisherConfig, fillTopic } from '../../src/publish/kafka/config.js';
import { createKafkaPublisher } from '../../src/publish/kafka/create.js';
import { silentLogger } from '../../src/core/logger.js';
import { systemClock } from '../../src/core/clock.js';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const base = { type: 'kafka', brokers: ['kafka-1.council.internal:9093'] } as const;
const issues = (v: unknown) => {
  const r = KafkaPublisherConfig.safeParse(v);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('Kafka publisher config', () => {
  it('has safe defaults: binary mode, no topic creation, template per council', () => {
    const c = KafkaPublisherConfig.parse(base);
    expect(c).toMatchObject({ mode: 'binary', createTopics: false, compression: 'none', topic: 'casebridge.{council}.cases', deadLetterTopic: 'casebridge.{council}.dead-letters' });
    expect(fillTopic(c.topic, { council: 'E09000019', connector: 'x' })).toBe('casebridge.E09000019.cases');
  });

  it('allows SASL plain only over TLS', () => {
    const sasl = { mechanism: 'plain', username: 'casebridge', password: 's3cret-pw' };
    expect(issues({ ...base, sasl })).toEqual([expect.stringMatching(/^sasl\.mechanism: SASL plain .*only with tls/)]);
    expect(issues({ ...base, sasl, tls: {} })).toEqual([]);
    expect(issues({ ...base, sasl: { ...sasl, mechanism: 'scram-sha-512' } })).toEqual([]);
    expect(issues({ ...base, sasl: { ...sasl, mechanism: 'scram-sha-1' } })).toEqual([expect.stringMatching(/^sasl\.mechanism:/)]);
  });

  it('wants PEM text for TLS files, and cert with key', () => {
    expect(issues({ ...base, tls: { ca: '/etc/ssl/ca.pem' } })).toEqual([expect.stringMatching(/^tls\.ca: expected PEM text .*\$\{file:/)]);
    expect(issues({ ...base, tls: { ca: PEM, cert: PEM } })).toEqual([expect.stringMatching(/^tls\.key: tls\.cert and tls\.key go together/)]);
    expect(issues({ ...base, tls: { ca: PEM, cert: PEM, key: PEM.replaceAll('CERTIFICATE', 'PRIVATE KEY') } })).toEqual([]);
  });

  it('rejects topic templates that cannot give legal topic names', () => {
    expect(issues({ ...base, topic: 'cases.{gss}' })).toEqual([expect.stringContaining('unknown placeholder {gss}')]);
    expect(issues({ ...base, topic: 'cases for {council}' })).toEqual([expect.stringContaining('may only contain letters')]);
    expect(issues({ ...base, brokers: ['kafka-1'] })).toEqual([expect.stringContaining('host:port')]);
  });

  it('rejects a bad per-council topic override when the publisher is built', () => {
    expect(() =>
      createKafkaPublisher(KafkaPublisherConfig.parse(base), { logger: silentLogger(), clock: systemClock, councils: [{ gss: 'E09000019', topic: 'bad topic' }] }),
    ).toThrow(ConfigError);
  });

  it('takes secrets from ${env:} and ${file:} references in a gateway config, and locates mistakes by line', () => {
    const yaml = (mechanism: string, tls: string) => `version: 1
councils:
  - { gss: E09000019, name: Islington }
publisher:
  type: kafka
  brokers: [kafka-1.council.internal:9093]
${tls}  sasl:
    mechanism: ${mechanism}
    username: casebridge
    password: \${env:CB_KAFKA_PASSWORD}
connectors: []
`;
    const env = { CB_KAFKA_PASSWORD: 'correct-horse-battery' };
    let err: unknown;
    try {
      parseConfigText(yaml('plain', ''), 'gateway.yaml', '/tmp', env);
    } catch (e) {
      err = e;
    }
    const problems = (err as { problems: { path: string; line?: number; message: string }[] }).problems;
    const sasl = problems.find((p) => p.path === 'publisher.sasl.mechanism');
    expect(sasl?.message).toMatch(/only with tls/);
    expect(sasl?.line).toBe(8);
    // The password never appears in the messages.
    expect(JSON.stringify(problems)).not.toContain(env.CB_KAFKA_PASSWORD);

    try {
      parseConfigText(yaml('scram-sha-256', ''), 'gateway.yaml', '/tmp', {});
    } catch (e) {
      err = e;
    }
    const missing = (err as { problems: { path: string; message: string }[] }).problems.find((p) => p.path === 'publisher.sasl.password');
    expect(missing?.message).toContain('CB_KAFKA_PASSWORD is not set');
  });
});
