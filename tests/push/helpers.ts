/** A running gateway (real mapping and SQLite state, in-memory publisher) around one push connector. */
import { createHmac } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { parseConfigText } from '../../src/config/load.js';
import { createGateway, type Gateway } from '../../src/runtime/gateway.js';
import { silentLogger } from '../../src/core/logger.js';
import { memoryPublisher, type MemoryPublisher } from '../helpers/memory-publisher.js';
import { ISLINGTON, repairsMapping } from '../rest/helpers.js';

export const WSDL = join(import.meta.dirname, '../simulators/push/repairs-notification.wsdl');

/** A port nobody listens on right now (the receiver binds it a moment later). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface PushHarness {
  gw: Gateway;
  publisher: MemoryPublisher;
  url: string;
  /** Resolves when the next publish call starts (before it completes). */
  nextPublish(): Promise<void>;
}

export async function startPushGateway(connector: Record<string, unknown>, opts: { publisher?: MemoryPublisher; env?: NodeJS.ProcessEnv } = {}): Promise<PushHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'cb-push-'));
  const port = await freePort();
  const listen = { host: '127.0.0.1', port, ...(connector.listen as { path: string }) };
  const text = stringify({ version: 1, councils: [ISLINGTON], state: { path: join(dir, 'state.sqlite') }, shutdownGrace: '2s', connectors: [{ ...connector, listen }] });
  const loaded = parseConfigText(text, 'test.yaml', dir, opts.env ?? {});
  const publisher = opts.publisher ?? memoryPublisher();
  const waiting: (() => void)[] = [];
  const publish = publisher.publish.bind(publisher);
  publisher.publish = (events) => {
    for (const w of waiting.splice(0)) w();
    return publish(events);
  };
  const gw = await createGateway({ loaded, publisher, logger: silentLogger(), http: false });
  await gw.start();
  return {
    gw,
    publisher,
    url: `http://127.0.0.1:${port}${listen.path}`,
    nextPublish: () => new Promise<void>((r) => waiting.push(r)),
  };
}

export const webhookSecret = 'whsec-5a1e0c7d3b';

export function webhookConnector(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'repairs-webhook',
    type: 'push',
    council: ISLINGTON.gss,
    system: { supplier: 'RepairsHub', product: 'Repairs Online' },
    retry: { initial: '10ms', max: '50ms' },
    listen: { path: '/hooks/repairshub' },
    receiver: {
      type: 'webhook',
      auth: {
        type: 'hmac',
        secret: '${env:REPAIRS_WEBHOOK_SECRET}',
        header: 'X-RepairsHub-Signature',
        prefix: 'sha256=',
        timestamp: { header: 'X-RepairsHub-Timestamp', tolerance: '5m' },
      },
      records: 'case',
    },
    ackTimeout: '5s',
    mapping: repairsMapping,
    ...extra,
  };
}

/** Sign as the supplier does: hex HMAC-SHA256 of "<unix seconds>.<body>". */
export function signedHeaders(body: string, opts: { secret?: string; at?: number } = {}): Record<string, string> {
  const ts = String(Math.floor((opts.at ?? Date.now()) / 1000));
  const sig = createHmac('sha256', opts.secret ?? webhookSecret).update(`${ts}.${body}`).digest('hex');
  return { 'Content-Type': 'application/json', 'X-RepairsHub-Timestamp': ts, 'X-RepairsHub-Signature': `sha256=${sig}` };
}

export const soapMapping = {
  reference: 'CaseReference',
  supplierId: 'JobNumber',
  service: { code: 'TradeCode' },
  status: { code: 'StatusCode', label: 'StatusDescription', lookup: 'repairs-status' },
  openedAt: { path: 'LoggedDate', date: 'iso' },
  updatedAt: { path: 'StatusChangedDate', date: 'iso' },
  dueAt: { path: 'TargetDate', date: 'yyyy-MM-dd' },
  location: { uprn: 'Property.UPRN', address: 'Property.AddressLine1', postcode: 'Property.Postcode', easting: 'Property.Easting', northing: 'Property.Northing' },
  personal: [{ name: 'contactPhone', value: 'Contact.Telephone', mode: 'omit' }],
  lookups: repairsMapping.lookups,
};

export function soapConnector(auth: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'repairs-soap-push',
    type: 'push',
    council: ISLINGTON.gss,
    system: { supplier: 'RepairsHub', product: 'Case Notification Service' },
    retry: { initial: '10ms', max: '50ms' },
    listen: { path: '/notifications/repairshub' },
    receiver: {
      type: 'soap',
      wsdl: WSDL,
      auth,
      operations: {
        NotifyCaseUpdated: { records: 'CaseNotification', response: { Acknowledged: true, ReceiptId: '{receiptId}', ReceivedAt: '{receivedAt}' } },
        NotifyCaseClosed: { records: 'CaseNotification', response: { Acknowledged: true, ReceiptId: '{receiptId}' } },
      },
    },
    ackTimeout: '5s',
    mapping: soapMapping,
    ...extra,
  };
}

/** A settled-or-not probe for a promise, without waiting on it. */
export function track<T>(p: Promise<T>): { settled(): boolean; promise: Promise<T> } {
  let done = false;
  const promise = p.finally(() => {
    done = true;
  });
  promise.catch(() => undefined);
  return { settled: () => done, promise };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The positive signal before a "still no reply" check: an unauthenticated request to the same
 * receiver, sent after the held one was taken in, is refused (401) straight away. The receiver is
 * answering; if it had answered the held request early, that reply would have been written before
 * this request was even sent.
 */
export async function receiverAnswersOthers(url: string): Promise<number> {
  const res = await fetch(url, { method: 'POST', body: '{}', headers: { 'Content-Type': 'application/json' } });
  await res.arrayBuffer();
  return res.status;
}
