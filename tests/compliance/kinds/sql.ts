/** The sql kind, incremental by (updated_at, id), on the real PostgreSQL and MariaDB (tests/sql/harness.ts). */
import { MARIADB_CONNECTION, openHarness, PG_CONNECTION, uniqueName, type DbName } from '../../sql/harness.js';
import { freePort } from '../../push/helpers.js';
import { newRefs, SIMPLE_MAPPING, type LiveSupplier, type SourceKind } from './types.js';

function sqlKind(db: DbName): SourceKind {
  return {
    name: `sql (${db})`,
    rereads: 'none',
    checkpoint: 'position',
    async start(n, batchSize): Promise<LiveSupplier> {
      const h = await openHarness(db);
      const table = uniqueName('cb_compliance');
      const q = h.q(table);
      await h.exec(`CREATE TABLE ${q} (id ${h.types.int} PRIMARY KEY, ref ${h.types.text} NOT NULL, status ${h.types.text} NOT NULL, updated ${h.types.tsZoned})`);
      // Rows stamped in the past, each later than the one before, so the read lag never hides them.
      let next = 0;
      const insert = async (refs: string[]) => {
        for (const ref of refs) {
          const id = ++next;
          await h.exec(`INSERT INTO ${q} (id, ref, status, updated) VALUES (:id, :ref, 'OPEN', :at)`, { id, ref, at: new Date(Date.now() - 3_600_000 + id * 1000) });
        }
      };
      const refs = newRefs(db === 'postgres' ? 'PG' : 'MB', n);
      await insert(refs);
      const connection = db === 'postgres' ? PG_CONNECTION : MARIADB_CONNECTION;
      const connector = (conn: Record<string, unknown>, read: Record<string, unknown> = {}) => ({
        name: `compliance-${db}`,
        type: 'sql',
        council: 'E09000019',
        system: { supplier: 'Test' },
        batchSize,
        connection: { ...conn, connectTimeout: '5s' },
        read: { mode: 'incremental', table, updatedAt: 'updated', key: 'id', lag: '1s', ...read },
        mapping: SIMPLE_MAPPING,
      });
      return {
        connector: connector(connection),
        refs,
        async add(k) {
          const more = newRefs(db === 'postgres' ? 'PG' : 'MB', k);
          await insert(more);
          return more;
        },
        async unreachable() {
          return { connector: connector({ ...connection, port: await freePort() }) };
        },
        misconfigured() {
          // Trust auth accepts any password here, so the person's mistake is the table name.
          return { connector: connector(connection, { table: `${table}_misspelt` }) };
        },
        async teardown() {
          await h.exec(`DROP TABLE IF EXISTS ${q}`);
          await h.close();
        },
      };
    },
  };
}

export const postgres = sqlKind('postgres');
export const mariadb = sqlKind('mariadb');
