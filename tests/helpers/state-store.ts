/**
 * The state store a suite runs on: the SQLite file by default; PostgreSQL (its own schema, dropped
 * on close) when CASEBRIDGE_TEST_STATE=postgres, so a suite can be run once against each store:
 *   CASEBRIDGE_TEST_STATE=postgres npx vitest run tests/sql
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { StateStore } from '../../src/core/state-store.js';
import { openSqliteStateStore } from '../../src/runtime/sqlite-state-store.js';
import { quoteIdent } from '../../src/runtime/state/postgres-migrations.js';
import { openPostgresStateStore } from '../../src/runtime/state/postgres-state-store.js';

export const TEST_PG_URL = 'postgres://postgres@127.0.0.1:5432/test';

export async function openTestStateStore(dir: string): Promise<StateStore> {
  if (process.env.CASEBRIDGE_TEST_STATE !== 'postgres') return openSqliteStateStore(join(dir, 'state.sqlite'));
  const schema = `cb_test_state_${randomBytes(5).toString('hex')}`;
  const store = await openPostgresStateStore({ url: TEST_PG_URL, schema, poolSize: 4 });
  let closed: Promise<void> | undefined;
  return {
    forConnector: (connector, options) => store.forConnector(connector, options),
    resetCheckpoint: (connector) => store.resetCheckpoint(connector),
    close: () =>
      (closed ??= (async () => {
        await store.pool.query(`DROP SCHEMA IF EXISTS ${quoteIdent(store.schema)} CASCADE`);
        await store.close();
      })()),
  };
}

/**
 * An in-memory SQLite store that writes each commit (and, with `reads`, each getMany) into a
 * journal, so a test can check the order of publish, commit and ack.
 */
export function journaledStore(journal: string[], opts: { reads?: boolean } = {}): StateStore {
  const inner = openSqliteStateStore(':memory:');
  return {
    forConnector(name) {
      const s = inner.forConnector(name);
      return {
        ...s,
        connector: name,
        checkpoint: () => s.checkpoint(),
        get: (ns, k) => s.get(ns, k),
        getMany: (ns, keys) => {
          if (opts.reads) journal.push(`getMany:${keys.join(',')}`);
          return s.getMany(ns, keys);
        },
        // The case cache reads text when the store offers it: the same journal line.
        getManyText: (ns, keys) => {
          if (opts.reads) journal.push(`getMany:${keys.join(',')}`);
          return s.getManyText!(ns, keys);
        },
        entries: (ns) => s.entries(ns),
        async commit(u) {
          journal.push(`commit:${JSON.stringify(u.checkpoint)}`);
          await s.commit(u);
        },
      };
    },
    resetCheckpoint: (c) => inner.resetCheckpoint(c),
    close: () => inner.close(),
  };
}
