/**
 * Config of the `push` connector kind: an HTTP endpoint a supplier calls with notifications —
 * JSON webhooks (HMAC signature or HTTP Basic) or a SOAP notification operation served from the
 * supplier's WSDL. The supplier is answered with success only once the event is durably published.
 */
import { z } from 'zod';
import { connectorBase } from '../../config/common.js';
import { Duration, Secret } from '../../core/units.js';
import { JsonPath } from '../shared/json-path.js';
import { ByteSize } from '../../core/units.js';

export const HmacAuth = z
  .object({
    type: z.literal('hmac'),
    secret: Secret.describe('Shared signing secret; use ${env:NAME} or ${file:PATH}'),
    header: z.string().min(1).default('X-Signature').describe('Header carrying the signature'),
    algorithm: z.enum(['sha256', 'sha512', 'sha1']).default('sha256').describe('HMAC hash (sha1 only for old suppliers that can do nothing else)'),
    encoding: z.enum(['hex', 'base64']).default('hex'),
    prefix: z.string().default('').describe('Text before the signature in the header, e.g. "sha256="'),
    timestamp: z
      .union([
        z.literal(false),
        z
          .object({
            header: z.string().min(1).default('X-Timestamp').describe('Header carrying the time the supplier signed the request'),
            format: z.enum(['epoch', 'epoch-ms', 'iso']).default('epoch'),
            tolerance: Duration.default('5m').describe('Refuse requests signed longer ago (or further ahead) than this: stops replays'),
            signedPayload: z
              .string()
              .min(1)
              .default('{timestamp}.{body}')
              .refine((s) => s.includes('{body}'), 'must contain {body}')
              .describe('What is signed: {timestamp} and {body} placeholders'),
          })
          .strict(),
      ])
      .default({ header: 'X-Timestamp', format: 'epoch', tolerance: '5m', signedPayload: '{timestamp}.{body}' })
      .describe(
        'On by default: the signature covers a timestamp header and requests signed longer ago than the tolerance are refused, so a captured request cannot be replayed later. `false` only for a supplier that cannot sign a timestamp (the replay cache still refuses an exact repeat within 24 h).',
      ),
  })
  .strict();
export type HmacAuth = z.infer<typeof HmacAuth>;

export const BasicAuth = z
  .object({
    type: z.literal('basic'),
    username: z.string().min(1),
    password: Secret.describe('Use ${env:NAME} or ${file:PATH}'),
  })
  .strict();
export type BasicAuth = z.infer<typeof BasicAuth>;

export const WsSecurityAuth = z
  .object({
    type: z.literal('ws-security'),
    username: z.string().min(1),
    password: Secret.describe('Use ${env:NAME} or ${file:PATH}'),
    tolerance: Duration.default('5m').describe('For PasswordDigest tokens: refuse a Created time further than this from now'),
  })
  .strict()
  .describe('WS-Security UsernameToken in the SOAP header (PasswordText or PasswordDigest)');
export type WsSecurityAuth = z.infer<typeof WsSecurityAuth>;

export const WebhookReceiver = z
  .object({
    type: z.literal('webhook'),
    auth: z.discriminatedUnion('type', [HmacAuth, BasicAuth]).describe('Every request must prove it comes from the supplier'),
    records: JsonPath.default('$').describe('Where the record(s) are in the JSON body: an object is one record, an array several; $ is the whole body'),
  })
  .strict();

export const SoapOperation = z
  .object({
    records: JsonPath.describe('Where the record(s) are in the operation\'s input, e.g. CaseNotification'),
    response: z
      .record(z.string(), z.unknown())
      .default({})
      .describe('Body of the success response, as the WSDL describes it; text values may use {receivedAt}, {count} and {receiptId}'),
  })
  .strict();

export const SoapReceiver = z
  .object({
    type: z.literal('soap'),
    wsdl: z.string().min(1).describe("The supplier's notification WSDL (a local file, relative to the config file)"),
    operations: z
      .record(z.string().min(1), SoapOperation)
      .refine((o) => Object.keys(o).length > 0, 'at least one operation')
      .describe('Operations the supplier calls, by name as in the WSDL, e.g. NotifyCaseUpdated'),
    auth: z
      .discriminatedUnion('type', [
        BasicAuth,
        WsSecurityAuth,
        z
          .object({
            type: z.literal('none'),
            allowUnauthenticated: z.boolean().optional().describe('Must be true: confirms that something in front of casebridge authenticates the supplier'),
          })
          .strict(),
      ])
      .superRefine((a, ctx) => {
        if (a.type === 'none' && a.allowUnauthenticated !== true) {
          ctx.addIssue({
            code: 'custom',
            message: 'auth: none lets anyone on the network post notifications (and read the WSDL); use basic or ws-security, or add allowUnauthenticated: true if a gateway in front authenticates the supplier',
          });
        }
      })
      .describe('HTTP Basic, WS-Security UsernameToken, or none with allowUnauthenticated: true (only behind a gateway that authenticates)'),
    faultStatus: z.union([z.literal(500), z.literal(503)]).default(500).describe('HTTP status of the SOAP fault sent when publishing failed (SOAP 1.1 says 500)'),
  })
  .strict();

export const PushConnectorConfig = connectorBase
  .extend({
    type: z.literal('push'),
    listen: z
      .object({
        host: z.string().min(1).default('127.0.0.1').describe('Interface to listen on; 0.0.0.0 only behind a TLS-terminating proxy'),
        port: z.number().int().min(0).max(65535).describe('TCP port (one per push connector)'),
        path: z.string().regex(/^\//, 'a path starting with /').describe('Path the supplier posts to, e.g. /hooks/repairs'),
      })
      .strict(),
    receiver: z.discriminatedUnion('type', [WebhookReceiver, SoapReceiver]),
    maxBodyBytes: ByteSize.default('1MB').describe('Refuse larger request bodies with 413'),
    ackTimeout: Duration.default('30s').describe('Answer an error (so the supplier retries) when publishing takes longer than this'),
    maxPending: z.number().int().min(1).default(100).describe('Notifications waiting to be published before new ones get 503 + Retry-After'),
  })
  .strict();
export type PushConnectorConfig = z.infer<typeof PushConnectorConfig>;
export type WebhookReceiver = z.infer<typeof WebhookReceiver>;
export type SoapReceiver = z.infer<typeof SoapReceiver>;
