import { describe, expect, it } from 'vitest';
import { ConfigInvalidError, parseConfigText } from '../../src/config/load.js';
import { createSqlSource } from '../../src/connectors/sql/create.js';
import { deps, sqlConfig, PG_CONNECTION } from './harness.js';

const yaml = (read: string, connection = '') => `
version: 1
councils:
  - { gss: E09000019, name: London Borough of Islington }
connectors:
  - name: repairs-db
    type: sql
    council: E09000019
    system: { supplier: Northgate }
    connection:
      dialect: postgres
      host: 127.0.0.1
      database: repairs
      user: \${env:DB_USER}
      password: \${env:DB_PASSWORD}
${connection}
    read:
${read}
    mapping:
      reference: ref
      status: { code: status, lookup: st }
      lookups:
        st: { entries: { OPEN: { status: received } } }
`;

const env = { DB_USER: 'casebridge_ro', DB_PASSWORD: 'not-a-real-password' };

function problems(text: string): string {
  try {
    parseConfigText(text, 'gateway.yaml', '/tmp', env);
  } catch (e) {
    if (e instanceof ConfigInvalidError) return e.message;
    throw e;
  }
  throw new Error('config was accepted');
}

describe('sql connector config', () => {
  it('accepts an incremental table read with defaults: Europe/London, 2m lag, verified TLS, pool of 2', () => {
    const { config } = parseConfigText(yaml('      mode: incremental\n      table: cases\n      updatedAt: last_updated\n      key: case_id'), 'gateway.yaml', '/tmp', env);
    const c = config.connectors[0]!;
    expect(c.type).toBe('sql');
    if (c.type !== 'sql') return;
    expect(c.timezone).toBe('Europe/London');
    expect(c.read).toMatchObject({ mode: 'incremental', lag: '2m', table: 'cases' });
    expect(c.connection).toMatchObject({ user: 'casebridge_ro', password: 'not-a-real-password', poolMax: 2, tls: { mode: 'verify-full' }, readOnlySession: true });
  });

  it('a custom incremental query without :until fails at load, naming the parameter, file and line', () => {
    const msg = problems(
      yaml(`      mode: incremental
      updatedAt: updated_at
      key: id
      sql: |
        SELECT r.* FROM requests r
        WHERE (r.updated_at, r.id) > (:since, :after_key)
        ORDER BY r.updated_at, r.id LIMIT :limit`),
    );
    expect(msg).toMatch(/gateway\.yaml:\d+:\d+\s+connectors\[0\]\.read\.sql: the incremental query must use the parameter :until/);
  });

  it('a snapshot query without :after_key fails, and an unknown parameter is named', () => {
    const msg = problems(
      yaml(`      mode: snapshot
      key: id
      sql: SELECT * FROM requests WHERE updated_at > :sinse ORDER BY id LIMIT :limit`),
    );
    expect(msg).toMatch(/must use the parameter :after_key/);
    expect(msg).toMatch(/unknown parameter :sinse/);
  });

  it('a custom query must be one SELECT with an ORDER BY', () => {
    const msg = problems(yaml(`      mode: snapshot\n      key: id\n      sql: "DELETE FROM requests WHERE id > :after_key LIMIT :limit"`));
    expect(msg).toMatch(/single SELECT/);
    expect(msg).toMatch(/ORDER BY id/);
    const two = problems(yaml(`      mode: snapshot\n      key: id\n      sql: "SELECT * FROM r WHERE id > :after_key ORDER BY id LIMIT :limit; DROP TABLE r"`));
    expect(two).toMatch(/one statement/);
  });

  it('table and sql are mutually exclusive, and one of them is required', () => {
    expect(problems(yaml('      mode: snapshot\n      key: id'))).toMatch(/read\.table: give either `table` or a custom `sql` query/);
    expect(problems(yaml('      mode: snapshot\n      key: id\n      table: t\n      sql: SELECT * FROM t WHERE id > :after_key ORDER BY id LIMIT :limit'))).toMatch(/mutually exclusive/);
  });

  it('rejects an unknown zone, a pool above 4 and a misspelt key with a suggestion', () => {
    const msg = problems(yaml('      mode: snapshot\n      table: t\n      key: id', '      poolMax: 8\n      tls: { mode: disable }') .replace('    read:', '    timezone: Europe/Londn\n    read:'));
    expect(msg).toMatch(/timezone: an IANA time zone/);
    expect(msg).toMatch(/poolMax/);
    const typo = problems(yaml('      mode: snapshot\n      table: t\n      key: id\n      onMising: close'));
    expect(typo).toMatch(/unknown key "onMising" — did you mean "onMissing"/);
  });

  it('the factory refuses a config that bypassed the schema checks', () => {
    const cfg = sqlConfig(PG_CONNECTION, { mode: 'snapshot', table: 't', key: 'id' });
    const broken = { ...cfg, read: { ...cfg.read, table: undefined, sql: 'SELECT * FROM t ORDER BY id' } } as typeof cfg;
    expect(() => createSqlSource(broken, deps())).toThrow(/must use the parameter :after_key/);
  });
});
