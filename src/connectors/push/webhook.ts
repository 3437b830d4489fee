/**
 * JSON webhooks: authenticate (HMAC over the exact bytes received, or Basic), bound the body,
 * parse without __proto__ keys, hand the records to the inbox and answer only when the runtime has
 * published them (200), could not (503), or the body was unusable (400 once it is dead-lettered).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import type { SourceReject } from '../../core/source.js';
import { getAtPath } from '../shared/json-path.js';
import { JsonSyntaxError, parseJsonSafely } from '../shared/safe-json.js';
import { verifyBasic, verifyHmac } from './auth.js';
import { createReplayCache } from './replay-cache.js';
import { durationMs } from '../../core/units.js';
import { BodyError, readBody } from './body.js';
import type { WebhookReceiver } from './config.js';
import type { Inbox } from './inbox.js';
import { toRecords } from './records.js';
import { closeAfterReply, replyJson } from './reply.js';
import type { Receiver } from './receiver.js';

export interface WebhookDeps {
  connector: string;
  path: string;
  maxBodyBytes: number;
  inbox: Inbox;
  clock: Clock;
  logger: Logger;
}

export function createWebhookReceiver(cfg: WebhookReceiver, deps: WebhookDeps): Receiver {
  const { inbox, clock, logger } = deps;
  const operation = `POST ${deps.path}`;
  // A timestamp passes for `tolerance` either side of now, so a signature can come back for twice that.
  const replays = createReplayCache(cfg.auth.type === 'hmac' && cfg.auth.timestamp ? 2 * durationMs(cfg.auth.timestamp.tolerance) : 86_400_000);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') {
      replyJson(res, 405, { error: 'method_not_allowed', message: 'POST notifications here' }, { Allow: 'POST' });
      return;
    }
    const remote = req.socket.remoteAddress;
    if (cfg.auth.type === 'basic') {
      const r = verifyBasic(cfg.auth, req.headers);
      if (!r.ok) {
        logger.warn({ remote, reason: r.reason }, 'push notification refused: authentication failed');
        closeAfterReply(res);
        replyJson(res, 401, { error: 'unauthorized' }, { 'WWW-Authenticate': 'Basic realm="casebridge", charset="UTF-8"' });
        return;
      }
    }
    let body: Buffer;
    try {
      body = await readBody(req, deps.maxBodyBytes);
    } catch (err) {
      const e = err instanceof BodyError ? err : new BodyError(400, String(err));
      logger.warn({ remote, status: e.status }, `push notification refused: ${e.message}`);
      closeAfterReply(res);
      replyJson(res, e.status, { error: e.status === 413 ? 'payload_too_large' : 'bad_request', message: e.message });
      return;
    }
    const receivedAt = clock.now();
    let signature: string | undefined;
    if (cfg.auth.type === 'hmac') {
      const r = verifyHmac(cfg.auth, req.headers, body, receivedAt);
      if (!r.ok) {
        logger.warn({ remote, reason: r.reason }, 'push notification refused: signature check failed');
        replyJson(res, 401, { error: 'invalid_signature', message: r.reason });
        return;
      }
      const h = req.headers[cfg.auth.header.toLowerCase()];
      signature = Array.isArray(h) ? h[0] : h;
      if (signature && replays.seen(signature, receivedAt.getTime())) {
        logger.warn({ remote }, 'push notification refused: a replay of a request already accepted');
        replyJson(res, 409, { error: 'replayed', message: 'this signed request was already accepted (a replay); sign each notification afresh' });
        return;
      }
    }
    const type = req.headers['content-type'] ?? '';
    if (type && !/json/i.test(type)) {
      replyJson(res, 415, { error: 'unsupported_media_type', message: `expected application/json, got ${type}` });
      return;
    }

    const receiptId = randomUUID();
    const position = { operation, receivedAt: receivedAt.toISOString() };
    const fetchedAt = position.receivedAt;
    const text = body.toString('utf8');
    let records: ReturnType<typeof toRecords>['records'] = [];
    let rejects: SourceReject[] = [];
    try {
      const parsed = parseJsonSafely(text);
      if (parsed.droppedKeys) logger.warn({ receiptId, droppedKeys: parsed.droppedKeys }, 'dropped __proto__ keys from a push notification');
      ({ records, rejects } = toRecords(getAtPath(parsed.value, cfg.records), cfg.records, position, fetchedAt));
    } catch (err) {
      if (!(err instanceof JsonSyntaxError)) throw err;
      rejects = [{ reason: `notification body is not valid JSON: ${err.message}`, original: text, position }];
    }
    if (!records.length && !rejects.length) {
      replyJson(res, 200, { status: 'accepted', receiptId, records: 0 });
      return;
    }

    const submission = inbox.submit(records, rejects);
    res.on('close', () => {
      if (!res.writableFinished) submission.cancel();
    });
    const outcome = await submission.outcome;
    if (!outcome.ok) {
      if (outcome.status === 499) return;
      logger.warn({ receiptId, status: outcome.status }, `push notification not acknowledged: ${outcome.reason}`);
      replyJson(res, outcome.status, { error: 'not_published', message: outcome.reason, receiptId }, outcome.retryAfterSeconds ? { 'Retry-After': String(outcome.retryAfterSeconds) } : {});
      return;
    }
    if (!records.length) {
      // Recorded as a dead letter (durably), but the supplier should know it sent something unusable.
      replyJson(res, 400, { error: 'rejected', message: rejects.map((r) => r.reason).join('; '), receiptId });
      return;
    }
    if (signature) replays.remember(signature, receivedAt.getTime());
    logger.debug({ receiptId, records: records.length }, 'push notification published');
    replyJson(res, 200, { status: 'accepted', receiptId, records: records.length, rejected: rejects.length });
  }

  return {
    handle: (req, res) =>
      handle(req, res).catch((err: Error) => {
        logger.error({ err: { message: err.message } }, 'push receiver failed handling a request');
        replyJson(res, 500, { error: 'internal_error' });
      }),
    ready: async () => undefined,
  };
}
