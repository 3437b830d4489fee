/**
 * A real gateway around one soap connector: config text through the real loader, SQLite state and
 * the local-log publisher in a temp dir, the real mapping compiler. Events are read back from the
 * JSON Lines files the publisher fsync'd. The publisher can be told to fail, to prove the position
 * does not move past unpublished records.
 */
import { mkdtempSync, readFileSync, readdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { CaseEvent } from '../../src/event/case-event.js';
import type { DeadLetter } from '../../src/core/dead-letter.js';
import { parseConfigText } from '../../src/config/load.js';
import { createPublisher } from '../../src/publish/create-publisher.js';
import type { Publisher } from '../../src/core/publisher.js';
import type { Clock } from '../../src/core/clock.js';
import { PublishError } from '../../src/core/errors.js';
import { createGateway, type Gateway } from '../../src/runtime/gateway.js';
import { silentLogger, type Logger } from '../../src/core/logger.js';
import { openSqliteStateStore } from '../../src/runtime/sqlite-state-store.js';
import type { StateStore } from '../../src/core/state-store.js';

export const ISLINGTON = { gss: 'E09000019', name: 'London Borough of Islington' };

export function tempDir(prefix = 'cb-soap-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface FailingPublisher extends Publisher {
  /** The next `n` publish calls fail (retriable PublishError) without writing anything. */
  failNext(n: number): void;
  /** Let `ok` more publish calls through, then fail the one after. */
  failAfter(ok: number): void;
  publishCalls: number;
}

function failing(inner: Publisher): FailingPublisher {
  let failures = 0;
  let okBeforeFailure: number | undefined;
  const p: FailingPublisher = {
    publishCalls: 0,
    failNext(n) {
      failures = n;
    },
    failAfter(ok) {
      okBeforeFailure = ok;
    },
    start: () => inner.start(),
    async publish(events) {
      p.publishCalls++;
      if (okBeforeFailure !== undefined) {
        if (okBeforeFailure === 0) {
          okBeforeFailure = undefined;
          failures = Math.max(failures, 1);
        } else okBeforeFailure--;
      }
      if (failures > 0) {
        failures--;
        throw new PublishError('simulated broker outage', { retriable: true, code: 'test_outage' });
      }
      return inner.publish(events);
    },
    deadLetter: (l) => inner.deadLetter(l),
    health: () => inner.health(),
    close: () => inner.close(),
  };
  return p;
}

export interface Harness {
  gw: Gateway;
  dir: string;
  state: StateStore;
  publisher: FailingPublisher;
  checkpoint(): Promise<Record<string, unknown> | undefined>;
  events(): CaseEvent[];
  deadLetters(): DeadLetter[];
  /** Last event per case reference. */
  byRef(): Map<string, CaseEvent>;
  run(): ReturnType<Gateway['runOnce']>;
  close(): Promise<void>;
}

function readJsonl<T>(dir: string, prefix: string): T[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.startsWith(prefix) && f.endsWith('.jsonl'))
    .sort()
    .flatMap((f) =>
      readFileSync(join(dir, f), 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as T),
    );
}

export async function openHarness(
  connector: Record<string, unknown>,
  opts: { dir?: string; clock?: Clock; env?: NodeJS.ProcessEnv; lookups?: Record<string, unknown>; logger?: Logger } = {},
): Promise<Harness> {
  const dir = opts.dir ?? tempDir();
  const text = stringify({
    version: 1,
    councils: [ISLINGTON],
    ...(opts.lookups ? { lookups: opts.lookups } : {}),
    state: { path: './state.sqlite' },
    publisher: { type: 'local-log', dir: './events', fsync: true },
    shutdownGrace: '2s',
    connectors: [connector],
  });
  const loaded = parseConfigText(text, join(dir, 'casebridge.yaml'), dir, opts.env ?? {});
  const clock = opts.clock;
  const logger = opts.logger ?? silentLogger();
  const inner = await createPublisher(loaded.config.publisher, { baseDir: dir, logger, clock: clock ?? { now: () => new Date() }, councils: loaded.config.councils });
  const publisher = failing(inner);
  const state = openSqliteStateStore(join(dir, 'state.sqlite'));
  const gw = await createGateway({ loaded, publisher, stateStore: state, logger, http: false, ...(clock ? { clock } : {}) });
  const name = String(connector.name);
  const events = () => readJsonl<CaseEvent>(join(dir, 'events'), 'events-');
  return {
    gw,
    dir,
    state,
    publisher,
    checkpoint: () => state.forConnector(name).checkpoint(),
    events,
    deadLetters: () => readJsonl<DeadLetter>(join(dir, 'events'), 'dead-letters-'),
    byRef: () => new Map(events().map((e) => [e.subject, e])),
    run: () => gw.runOnce(name),
    async close() {
      await gw.stop();
      state.close();
    },
  };
}
