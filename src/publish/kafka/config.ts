/**
 * Config of the Kafka publisher (`publisher: { type: kafka, ... }`). Secrets (SASL password, TLS
 * key) arrive already resolved from `${env:NAME}` / `${file:PATH}` references by config/secrets.ts,
 * which also registers them for log redaction.
 */
import { z } from 'zod';
import { Duration, Secret } from '../../core/units.js';

/** Placeholders a topic template may use; `{council}` is the council's GSS code, e.g. E09000019. */
export const TOPIC_PLACEHOLDERS = ['council', 'connector'] as const;

const LEGAL_TOPIC = /^[a-zA-Z0-9._-]{1,249}$/;

/** Fill a topic template. Unknown placeholders are left as typed, so isLegalTopic rejects them. */
export function fillTopic(template: string, values: { council: string; connector: string }): string {
  return template.replace(/\{(council|connector)\}/g, (_m, name: 'council' | 'connector') => values[name]);
}

export function isLegalTopic(name: string): boolean {
  return LEGAL_TOPIC.test(name) && name !== '.' && name !== '..';
}

/** Why a topic template cannot give legal Kafka topic names, or undefined when it can. */
export function topicTemplateProblem(template: string): string | undefined {
  const unknown = [...template.matchAll(/\{([^}]*)\}/g)].map((m) => m[1]).filter((p) => !(TOPIC_PLACEHOLDERS as readonly string[]).includes(p ?? ''));
  if (unknown.length) return `unknown placeholder {${unknown[0]}} (use ${TOPIC_PLACEHOLDERS.map((p) => `{${p}}`).join(' or ')})`;
  const sample = fillTopic(template, { council: 'E09000019', connector: 'a-connector-name-of-sixty-three-characters-aaaaaaaaaaaaaaaaaaaaa' });
  if (!isLegalTopic(sample)) return 'a Kafka topic name may only contain letters, digits, ".", "_" and "-" (at most 249 characters)';
  return undefined;
}

const TopicTemplate = z
  .string()
  .min(1)
  .superRefine((t, ctx) => {
    const problem = topicTemplateProblem(t);
    if (problem) ctx.addIssue({ code: 'custom', message: `topic "${t}": ${problem}` });
  });

/** PEM text, normally read with `${file:certs/ca.pem}`. */
const Pem = (what: string) =>
  z
    .string()
    .refine((s) => s.includes('-----BEGIN '), { message: `expected PEM text (${what}) beginning with "-----BEGIN"; read it from a file with \${file:path/to/file.pem}` });

export const KafkaTlsConfig = z
  .object({
    ca: Pem('CA certificate(s)').optional().describe('CA bundle to trust, PEM; default: the system CAs. Use ${file:...}'),
    cert: Pem('client certificate').optional().describe('Client certificate for mutual TLS, PEM. Use ${file:...}'),
    key: Pem('client private key').optional().describe('Private key of the client certificate, PEM. Use ${file:...}'),
    passphrase: Secret.optional().describe('Passphrase of an encrypted key. Use ${env:...} or ${file:...}'),
    servername: z.string().min(1).optional().describe('Server name to verify when it differs from the broker host (SNI)'),
    rejectUnauthorized: z.boolean().default(true).describe('Verify the broker certificate; turn off only for a throwaway test cluster'),
  })
  .strict()
  .superRefine((t, ctx) => {
    if ((t.cert === undefined) !== (t.key === undefined)) {
      ctx.addIssue({ code: 'custom', path: [t.cert === undefined ? 'cert' : 'key'], message: 'tls.cert and tls.key go together (mutual TLS needs both)' });
    }
  });
export type KafkaTlsConfig = z.infer<typeof KafkaTlsConfig>;

export const KafkaSaslConfig = z
  .object({
    mechanism: z.enum(['scram-sha-256', 'scram-sha-512', 'plain']).describe('SASL mechanism; plain is allowed only with tls'),
    username: z.string().min(1),
    password: Secret.describe('Use ${env:NAME} or ${file:PATH}; never written in the config itself'),
  })
  .strict();
export type KafkaSaslConfig = z.infer<typeof KafkaSaslConfig>;

export const KafkaPublisherConfig = z
  .object({
    type: z.literal('kafka'),
    brokers: z
      .array(z.string().regex(/^[^\s:]+:\d{1,5}$/, 'host:port, e.g. kafka-1.council.internal:9092'))
      .min(1)
      .describe('Bootstrap brokers, host:port'),
    clientId: z.string().min(1).default('casebridge').describe('Kafka client id (shows in broker logs and quotas)'),
    topic: TopicTemplate.default('casebridge.{council}.cases').describe(
      'Topic for case events: a template with {council} (GSS code) and {connector}, or one shared topic name. councils[].topic overrides it per council',
    ),
    deadLetterTopic: TopicTemplate.default('casebridge.{council}.dead-letters').describe('Topic for dead letters; same placeholders as topic'),
    mode: z
      .enum(['binary', 'structured'])
      .default('binary')
      .describe('CloudEvents Kafka binding content mode: binary (ce_* headers, value = data) or structured (value = whole event)'),
    compression: z.enum(['none', 'gzip']).default('none').describe('Compression of record batches (kafkajs has gzip built in)'),
    createTopics: z.boolean().default(false).describe('Create missing topics at start; otherwise a missing topic stops the gateway with a config error'),
    partitions: z.number().int().min(1).max(10_000).default(6).describe('Partitions of topics created by createTopics'),
    replicationFactor: z
      .number()
      .int()
      .min(1)
      .max(32)
      .optional()
      .describe('Replication factor of topics created by createTopics; default: 3, or the number of brokers when the cluster has fewer'),
    topicConfig: z
      .record(z.string(), z.string())
      .optional()
      .describe('Topic-level configs for created topics, e.g. {"retention.ms": "604800000", "min.insync.replicas": "2"}'),
    tls: KafkaTlsConfig.optional().describe('Connect with TLS (present = on); {} uses the system CAs'),
    sasl: KafkaSaslConfig.optional().describe('SASL authentication'),
    connectionTimeout: Duration.default('10s').describe('Time to open a connection to a broker'),
    requestTimeout: Duration.default('30s').describe('Time for a broker to answer one request'),
    publishTimeout: Duration.default('60s').describe('Upper bound on one publish (including client retries); past it the batch fails with a retriable error'),
    maxRequestBytes: z
      .number()
      .int()
      .min(16 * 1024)
      .default(900_000)
      .describe("Split a publish into requests of at most this many bytes (keep below the broker's message.max.bytes)"),
    // Off by default: measured on a 2-core machine with both cores busy, the thread cost 15–20%
    // more CPU per event and gained nothing over reading ahead alone (docs/kafka.md).
    thread: z
      .boolean()
      .default(false)
      .describe(
        'Run the Kafka client (record encoding, sends) on a worker thread of its own, so the main thread only reads and prepares batches; gains only with a CPU core to spare, and costs more CPU in all',
      ),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.sasl?.mechanism === 'plain' && !c.tls) {
      ctx.addIssue({
        code: 'custom',
        path: ['sasl', 'mechanism'],
        message: 'SASL plain sends the password in clear text: it is allowed only with tls (add tls: {} or use scram-sha-256 / scram-sha-512)',
      });
    }
  });
export type KafkaPublisherConfig = z.infer<typeof KafkaPublisherConfig>;
