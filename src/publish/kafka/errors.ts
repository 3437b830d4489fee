/**
 * kafkajs failures → our PublishError. kafkajs marks errors retriable by default and wraps the
 * last retriable error in a *non*-retriable KafkaJSNumberOfRetriesExceeded, so its own flag cannot
 * be taken as is: we look at the whole cause chain.
 */
import { PublishError, type ErrorContext } from '../../core/errors.js';

interface KafkaLikeError extends Error {
  retriable?: boolean;
  type?: string;
  code?: string | number;
  broker?: string;
  cause?: unknown;
}

/** Producer-state errors: the broker forgot or fenced our idempotent producer id. A new producer fixes them. */
export const PRODUCER_STATE_ERRORS = new Set([
  'OUT_OF_ORDER_SEQUENCE_NUMBER',
  'DUPLICATE_SEQUENCE_NUMBER',
  'UNKNOWN_PRODUCER_ID',
  'INVALID_PRODUCER_EPOCH',
  'INVALID_PRODUCER_ID_MAPPING',
  'PRODUCER_FENCED',
]);

const CONNECTION_ERRORS = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSTopicMetadataNotLoaded',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSLockTimeout',
  'KafkaJSTimeout',
]);

/** Wrong credentials, missing ACLs, a certificate we do not trust: a person must fix the config. */
const AUTH_PROTOCOL_ERRORS = new Set([
  'SASL_AUTHENTICATION_FAILED',
  'ILLEGAL_SASL_STATE',
  'UNSUPPORTED_SASL_MECHANISM',
  'TOPIC_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
  'GROUP_AUTHORIZATION_FAILED',
]);
const TLS_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);

/** The broker refused who we are (SASL, ACLs) or we refused its certificate: not worth retrying. */
export function isAuthError(err: unknown): boolean {
  return causeChain(err).some(
    (e) =>
      e.name === 'KafkaJSSASLAuthenticationError' ||
      (typeof e.type === 'string' && AUTH_PROTOCOL_ERRORS.has(e.type)) ||
      (typeof e.code === 'string' && TLS_CODES.has(e.code)) ||
      /certificate|SSL routines/i.test(e.message),
  );
}

const NODE_NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND']);

/** The cause chain, outermost first (bounded: causes can be cyclic in theory). */
export function causeChain(err: unknown): KafkaLikeError[] {
  const out: KafkaLikeError[] = [];
  let e: unknown = err;
  while (e instanceof Error && out.length < 10 && !out.includes(e)) {
    out.push(e as KafkaLikeError);
    e = (e as KafkaLikeError).cause;
  }
  return out;
}

export function protocolErrorType(err: unknown): string | undefined {
  return causeChain(err).find((e) => typeof e.type === 'string')?.type;
}

export function isProducerStateError(err: unknown): boolean {
  const t = protocolErrorType(err);
  return t !== undefined && PRODUCER_STATE_ERRORS.has(t);
}

// kafkajs throws this as a plain Error (broker/index.js) for a request to a broker whose connection
// was dropped, e.g. after it hung: a connection problem, not a bug.
const BROKER_NOT_CONNECTED = 'Broker not connected';

export function isConnectionError(err: unknown): boolean {
  return causeChain(err).some(
    (e) => CONNECTION_ERRORS.has(e.name) || (typeof e.code === 'string' && NODE_NETWORK_CODES.has(e.code)) || (e.name === 'Error' && e.message === BROKER_NOT_CONNECTED),
  );
}

export function isRetriableKafkaError(err: unknown): boolean {
  const chain = causeChain(err);
  if (chain.length === 0) return false;
  if (isAuthError(err)) return false;
  if (isConnectionError(err) || isProducerStateError(err)) return true;
  // Retries ran out on an error kafkajs itself considered retriable (leader moving, broker starting…).
  if (chain.some((e) => e.name === 'KafkaJSNumberOfRetriesExceeded')) return true;
  const root = chain[chain.length - 1]!;
  if (root.name.startsWith('KafkaJS')) return root.retriable === true;
  return false;
}

/** One line: the root cause's message (plus the protocol error type), which is what a person needs. */
export function kafkaErrorMessage(err: unknown): string {
  const chain = causeChain(err);
  const root = chain[chain.length - 1];
  if (!root) return String(err);
  const type = protocolErrorType(err);
  return type && !root.message.includes(type) ? `${root.message} (${type})` : root.message;
}

export function toPublishError(err: unknown, what: string, context: ErrorContext): PublishError {
  if (err instanceof PublishError) return err;
  const type = protocolErrorType(err);
  return new PublishError(`${what}: ${kafkaErrorMessage(err)}`, {
    code: type ? `kafka_${type.toLowerCase()}` : isAuthError(err) ? 'kafka_auth' : isConnectionError(err) ? 'kafka_unreachable' : 'kafka',
    retriable: isRetriableKafkaError(err),
    cause: err,
    context,
  });
}
