/**
 * A SOAP notification operation served from the supplier's own WSDL by the `soap` package's server
 * (soap.listen). Requests pass our guards first — credentials, body size, no DTD, no
 * prototype-polluting names — and only then reach the SOAP server, through a private request
 * emitter so soap never reads an unchecked body. The operation's handler resolves only when the
 * runtime has published and committed the notification; otherwise it raises a SOAP fault, which
 * tells the supplier to send it again.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import soap from 'soap';
import type { Clock } from '../../core/clock.js';
import { ConfigError, describeError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { ATTRIBUTES_KEY, assertSafeXml, sanitizeXmlObject, UnsafeXmlError, VALUE_KEY } from '../shared/xml-safety/index.js';
import { getAtPath } from '../shared/json-path.js';
import { verifyBasic, verifyWsSecurity } from './auth.js';
import { BodyError, readBody } from './body.js';
import type { SoapReceiver } from './config.js';
import type { Inbox } from './inbox.js';
import type { Receiver } from './receiver.js';
import { toRecords } from './records.js';
import { closeAfterReply, replySoapFault } from './reply.js';

export interface SoapReceiverDeps {
  connector: string;
  path: string;
  host: string;
  wsdlFile: string;
  wsdlText: string;
  maxBodyBytes: number;
  inbox: Inbox;
  clock: Clock;
  logger: Logger;
}

/** Every XSD simple type stays as the text the supplier sent: a dateTime without an offset must
 * not be read in this machine's zone (node-soap would make a Date of it), and codes keep their zeros. */
const KEEP_TEXT = Object.fromEntries(
  ['int', 'integer', 'short', 'long', 'double', 'float', 'decimal', 'bool', 'boolean', 'dateTime', 'date', 'time'].map((t) => [t, (text: string) => text]),
);

interface SoapFault {
  Fault: { faultcode: string; faultstring: string; statusCode?: number };
}

const fault = (code: 'Client' | 'Server', message: string, statusCode: number): SoapFault => ({ Fault: { faultcode: `soap:${code}`, faultstring: message, statusCode } });

export function createSoapReceiver(cfg: SoapReceiver, deps: SoapReceiverDeps): Receiver {
  const { connector, inbox, clock, logger } = deps;
  // soap.listen attaches to anything with request listeners; giving it a private emitter lets us
  // run every check before it sees a request.
  const requests = new EventEmitter() as EventEmitter & { address: string };
  requests.address = deps.host;

  let readyResolve!: () => void;
  let readyReject!: (e: Error) => void;
  const readyPromise = new Promise<void>((res, rej) => {
    readyResolve = res;
    readyReject = rej;
  });
  readyPromise.catch(() => undefined);

  const services: Record<string, Record<string, Record<string, unknown>>> = {};

  const server = soap.listen(requests as never, {
    path: deps.path,
    services,
    xml: deps.wsdlText,
    uri: deps.wsdlFile,
    attributesKey: ATTRIBUTES_KEY,
    valueKey: VALUE_KEY,
    customDeserializer: KEEP_TEXT,
    suppressStack: true,
    returnFault: true,
    enableChunkedEncoding: false,
    callback: (err: unknown) => {
      if (err) {
        readyReject(new ConfigError(`cannot load WSDL ${deps.wsdlFile}: ${(err as Error).message ?? String(err)}`, { context: { connector, field: 'receiver.wsdl' } }));
        return;
      }
      try {
        bindOperations();
        readyResolve();
      } catch (e) {
        readyReject(e as Error);
      }
    },
  } as soap.IServerOptions);

  if (cfg.auth.type === 'ws-security') {
    const auth = cfg.auth;
    server.authenticate = (security: unknown) => {
      const r = verifyWsSecurity(auth, security, clock.now());
      if (!r.ok) logger.warn({ reason: r.reason }, 'SOAP notification refused: WS-Security check failed');
      return r.ok;
    };
  }

  /** Build the services object soap dispatches to, from the WSDL's own services and ports. */
  function bindOperations(): void {
    const wsdlServices = (server as unknown as { wsdl: { definitions: { services: Record<string, { ports: Record<string, { binding: { methods: Record<string, unknown> } }> }> } } }).wsdl.definitions.services;
    const known = new Set<string>();
    for (const [serviceName, service] of Object.entries(wsdlServices)) {
      services[serviceName] = {};
      for (const [portName, port] of Object.entries(service.ports)) {
        const methods: Record<string, unknown> = {};
        for (const method of Object.keys(port.binding.methods)) {
          known.add(method);
          const op = cfg.operations[method];
          methods[method] = op ? handlerFor(method, op) : refuse(method);
        }
        services[serviceName]![portName] = methods;
      }
    }
    const missing = Object.keys(cfg.operations).filter((o) => !known.has(o));
    if (missing.length) {
      throw new ConfigError(`operation(s) ${missing.join(', ')} are not in WSDL ${deps.wsdlFile} (it has: ${[...known].join(', ')})`, {
        context: { connector, field: 'receiver.operations' },
      });
    }
  }

  function refuse(method: string) {
    return () => {
      throw fault('Client', `operation ${method} is not accepted by this receiver`, 500);
    };
  }

  function handlerFor(method: string, op: SoapReceiver['operations'][string]) {
    return async (args: unknown) => {
      const receivedAt = clock.now().toISOString();
      const receiptId = randomUUID();
      const position = { operation: method, receivedAt };
      let input: unknown;
      try {
        input = sanitizeXmlObject(args ?? {}, {}, { connector, operation: method });
      } catch (err) {
        throw fault('Client', describeError(err), 400);
      }
      const { records, rejects } = toRecords(getAtPath(input, op.records), op.records, position, receivedAt);
      const submission = inbox.submit(records, rejects);
      const outcome = await submission.outcome;
      if (!outcome.ok) {
        logger.warn({ receiptId, operation: method }, `SOAP notification not acknowledged: ${outcome.reason}`);
        throw fault('Server', outcome.reason, cfg.faultStatus);
      }
      if (!records.length) throw fault('Client', `notification rejected: ${rejects.map((r) => r.reason).join('; ')}`, 500);
      logger.debug({ receiptId, operation: method, records: records.length }, 'SOAP notification published');
      return fillTemplate(op.response, { receivedAt, count: String(records.length), receiptId });
    };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method === 'GET') {
      // The WSDL maps the receiver for anyone who can read it: behind the receiver's own auth.
      // WS-Security travels in a SOAP header a GET has not, so it takes the same credentials over Basic.
      if (cfg.auth.type === 'basic' || cfg.auth.type === 'ws-security') {
        const r = verifyBasic({ type: 'basic', username: cfg.auth.username, password: cfg.auth.password }, req.headers);
        if (!r.ok) {
          logger.warn({ remote: req.socket.remoteAddress, reason: r.reason }, 'SOAP receiver WSDL refused: authentication failed');
          res.writeHead(401, { 'content-type': 'text/plain', 'WWW-Authenticate': 'Basic realm="casebridge", charset="UTF-8"' }).end('authentication required\n');
          return;
        }
      }
      // soap serves the WSDL on ?wsdl (and an empty answer otherwise).
      requests.emit('request', req, res);
      return;
    }
    if (req.method !== 'POST') {
      replySoapFault(res, 405, 'Client', 'POST SOAP messages here', { Allow: 'GET, POST' });
      return;
    }
    const remote = req.socket.remoteAddress;
    if (cfg.auth.type === 'basic') {
      const r = verifyBasic(cfg.auth, req.headers);
      if (!r.ok) {
        logger.warn({ remote, reason: r.reason }, 'SOAP notification refused: authentication failed');
        closeAfterReply(res);
        replySoapFault(res, 401, 'Client', 'authentication required', { 'WWW-Authenticate': 'Basic realm="casebridge", charset="UTF-8"' });
        return;
      }
    }
    let body: Buffer;
    try {
      body = await readBody(req, deps.maxBodyBytes);
    } catch (err) {
      const e = err instanceof BodyError ? err : new BodyError(400, String(err));
      logger.warn({ remote, status: e.status }, `SOAP notification refused: ${e.message}`);
      closeAfterReply(res);
      replySoapFault(res, e.status, 'Client', e.message);
      return;
    }
    const text = body.toString('utf8');
    try {
      assertSafeXml(text, { connector });
    } catch (err) {
      if (!(err instanceof UnsafeXmlError)) throw err;
      logger.warn({ remote, code: err.code }, `SOAP notification refused: ${err.message}`);
      replySoapFault(res, 400, 'Client', err.message);
      return;
    }
    (req as IncomingMessage & { body?: Buffer }).body = body;
    requests.emit('request', req, res);
  }

  return {
    handle: (req, res) =>
      handle(req, res).catch((err: Error) => {
        logger.error({ err: { message: err.message } }, 'SOAP receiver failed handling a request');
        replySoapFault(res, 500, 'Server', 'internal error');
      }),
    ready: () => readyPromise,
  };
}

function fillTemplate(value: unknown, vars: Record<string, string>): unknown {
  if (typeof value === 'string') return value.replace(/\{(receivedAt|count|receiptId)\}/g, (_m, k: string) => vars[k] ?? '');
  if (Array.isArray(value)) return value.map((v) => fillTemplate(v, vars));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fillTemplate(v, vars)]));
  return value;
}
