/** A real gateway (real mapping, SQLite state, in-memory publisher) around one rest connector. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { parseConfigText } from '../../src/config/load.js';
import type { Clock } from '../../src/core/clock.js';
import type { OutgoingCaseEvent } from '../../src/normalize/build-event.js';
import { createGateway, type Gateway } from '../../src/runtime/gateway.js';
import { silentLogger } from '../../src/core/logger.js';
import { openSqliteStateStore } from '../../src/runtime/sqlite-state-store.js';
import type { StateStore } from '../../src/core/state-store.js';
import { memoryPublisher, type MemoryPublisher } from '../helpers/memory-publisher.js';

export const ISLINGTON = { gss: 'E09000019', name: 'London Borough of Islington' };

/** How the council maps the repairs system's JSON to a case. */
export const repairsMapping = {
  reference: 'repairReference',
  supplierId: 'jobNumber',
  description: 'description',
  service: { code: 'tradeCode', name: 'tradeDescription' },
  status: { code: 'status.code', label: 'status.description', lookup: 'repairs-status' },
  openedAt: { path: 'reportedAt', date: 'iso' },
  updatedAt: { path: 'lastModified', date: 'iso' },
  dueAt: { path: 'targetDate', date: 'yyyy-MM-dd' },
  closedAt: { path: 'completedAt', date: 'iso' },
  location: { uprn: 'property.uprn', address: 'property.addressLine1', postcode: 'property.postcode', easting: 'property.easting', northing: 'property.northing' },
  personal: [{ name: 'tenantPhone', value: 'tenant.phone', mode: 'omit' }],
  lookups: {
    'repairs-status': {
      entries: {
        LOGGED: { status: 'received' },
        ASSIGNED: { status: 'in_progress', label: 'An operative has been assigned' },
        APPOINTED: { status: 'scheduled', label: 'Appointment booked' },
        INPROGRESS: { status: 'in_progress' },
        ONHOLD: { status: 'on_hold' },
        COMPLETED: { status: 'resolved', label: 'Repair completed' },
        CANCELLED: { status: 'cancelled' },
      },
    },
  },
};

export function restConnector(baseUrl: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'repairs',
    type: 'rest',
    council: ISLINGTON.gss,
    system: { supplier: 'RepairsHub', product: 'Repairs Online' },
    retry: { initial: '10ms', max: '50ms' },
    baseUrl,
    path: '/api/v2/cases',
    since: { param: 'updatedSince', format: 'iso-utc', initial: '2025-11-01T00:00:00Z', watermark: { field: 'lastModified' } },
    pagination: { style: 'cursor', param: 'cursor', path: 'meta.nextCursor', sizeParam: 'limit', size: 10 },
    records: 'data',
    timeout: '5s',
    mapping: repairsMapping,
    ...extra,
  };
}

export interface Harness {
  gw: Gateway;
  publisher: MemoryPublisher;
  state: StateStore;
  dir: string;
  checkpoint(): Promise<Record<string, unknown> | undefined>;
  /** Events published, by reference, last one wins. */
  byRef(): Map<string, OutgoingCaseEvent['event']>;
}

export function tempDir(prefix = 'cb-rest-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function openHarness(connector: Record<string, unknown>, opts: { dir?: string; publisher?: MemoryPublisher; env?: NodeJS.ProcessEnv; clock?: Clock } = {}): Promise<Harness> {
  const dir = opts.dir ?? tempDir();
  const text = stringify({ version: 1, councils: [ISLINGTON], state: { path: join(dir, 'state.sqlite') }, shutdownGrace: '2s', connectors: [connector] });
  const loaded = parseConfigText(text, 'test.yaml', dir, opts.env ?? {});
  const publisher = opts.publisher ?? memoryPublisher();
  const state = openSqliteStateStore(join(dir, 'state.sqlite'));
  const gw = await createGateway({ loaded, publisher, stateStore: state, logger: silentLogger(), http: false, ...(opts.clock ? { clock: opts.clock } : {}) });
  const name = String(connector.name);
  return {
    gw,
    publisher,
    state,
    dir,
    checkpoint: () => state.forConnector(name).checkpoint(),
    byRef: () => new Map(publisher.events.map((e) => [e.event.subject, e.event])),
  };
}
