/**
 * A push connector: an HTTP listener (one per connector) that receives a supplier's notifications
 * and yields one batch per notification. It never answers success by itself: the reply waits for
 * the batch's ack (outcome committed) and turns into an error on a failed outcome or timeout, so the
 * supplier keeps the notification and sends it again.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { isAbsolute, resolve } from 'node:path';
import { durationMs } from '../../core/units.js';
import { ConfigError, isRetriable, SourceError } from '../../core/errors.js';
import type { ReadContext, Source, SourceBatch, SourceDeps } from '../../core/source.js';
import { byteSize } from '../../core/units.js';
import type { PushConnectorConfig } from './config.js';
import { Inbox } from './inbox.js';
import type { Receiver } from './receiver.js';
import { replyJson } from './reply.js';
import { createSoapReceiver } from './soap-receiver.js';
import { createWebhookReceiver } from './webhook.js';

export interface PushSource extends Source {
  /** Where the receiver listens, once it does (port 0 in the config picks a free port). */
  address(): { host: string; port: number; url: string } | undefined;
}

export function createPushSourceImpl(config: PushConnectorConfig, deps: SourceDeps): PushSource {
  const { connector, clock, logger } = deps;
  const path = config.listen.path.replace(/\/+$/, '') || '/';
  const maxBodyBytes = byteSize(config.maxBodyBytes);
  const inbox = new Inbox(config.maxPending, durationMs(config.ackTimeout));

  let receiver: Receiver;
  if (config.receiver.type === 'webhook') {
    receiver = createWebhookReceiver(config.receiver, { connector, path, maxBodyBytes, inbox, clock, logger });
  } else {
    const wsdlFile = isAbsolute(config.receiver.wsdl) ? config.receiver.wsdl : resolve(deps.baseDir, config.receiver.wsdl);
    let wsdlText: string;
    try {
      wsdlText = readFileSync(wsdlFile, 'utf8');
    } catch (err) {
      throw new ConfigError(`cannot read WSDL ${wsdlFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { context: { connector, field: 'receiver.wsdl' } });
    }
    receiver = createSoapReceiver(config.receiver, { connector, path, host: config.listen.host, wsdlFile, wsdlText, maxBodyBytes, inbox, clock, logger });
  }

  const server = http.createServer((req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://receiver').pathname.replace(/\/+$/, '') || '/';
    if (pathname !== path) {
      replyJson(res, 404, { error: 'not_found' });
      return;
    }
    void receiver.handle(req, res);
  });
  // Slow senders must not hold sockets forever; the reply itself may wait up to ackTimeout.
  server.headersTimeout = 10_000;
  server.requestTimeout = 60_000;

  let listening: Promise<void> | undefined;
  let bound: { host: string; port: number; url: string } | undefined;
  let closed = false;
  let reading = false;

  function listen(): Promise<void> {
    listening ??= (async () => {
      await receiver.ready();
      await new Promise<void>((resolveListen, rejectListen) => {
        const onError = (err: NodeJS.ErrnoException) => {
          rejectListen(
            new SourceError(`push receiver cannot listen on ${config.listen.host}:${config.listen.port}: ${err.code ?? err.message}`, {
              code: 'listen_failed',
              // Another process may be letting go of the port; a wrong address stays wrong.
              retriable: err.code === 'EADDRINUSE',
              cause: err,
              context: { connector, field: 'listen' },
            }),
          );
        };
        server.once('error', onError);
        server.listen(config.listen.port, config.listen.host, () => {
          server.off('error', onError);
          resolveListen();
        });
      });
      const a = server.address() as AddressInfo;
      const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
      bound = { host: a.address, port: a.port, url: `http://${host}:${a.port}${path}` };
      logger.info({ url: bound.url, receiver: config.receiver.type }, `push receiver listening on ${bound.url}`);
    })();
    // A failed attempt may be retried by the runtime.
    listening.catch(() => {
      listening = undefined;
    });
    return listening;
  }

  async function* read(ctx: ReadContext): AsyncGenerator<SourceBatch> {
    if (closed) throw new SourceError('source is closed', { code: 'closed', context: { connector } });
    if (reading) throw new SourceError('push receiver is already being read', { code: 'busy', context: { connector } });
    reading = true;
    try {
      await listen();
      for (;;) {
        const batch = await inbox.take(ctx.signal);
        if (!batch) return;
        yield batch;
      }
    } finally {
      reading = false;
    }
  }

  return {
    continuous: true,
    read,
    address: () => bound,
    async check() {
      // Bind early: a wrong address or a bad WSDL is reported before the gateway says it is running.
      try {
        await listen();
      } catch (err) {
        if (!isRetriable(err)) throw err;
        logger.warn({ err: { message: (err as Error).message } }, 'push receiver cannot listen yet; it will try again when it starts reading');
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      inbox.close('receiver is shutting down; retry later');
      // Let the error replies just settled reach their sockets before cutting connections.
      await new Promise((r) => setImmediate(r));
      await new Promise<void>((r) => {
        if (!server.listening) return r();
        server.close(() => r());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 100).unref();
      });
    },
  };
}
