/**
 * Generated SQL and parameter binding per dialect. SQL Server is covered ONLY here (no server can
 * run on the build machine): the statements it would receive and the typed inputs it would bind.
 */
import sql from 'mssql';
import { describe, expect, it } from 'vitest';
import type { Dialect } from '../../src/connectors/sql/dialect.js';
import { convertRows, keyParamType, mssqlDialect, mssqlFieldInfo, mssqlInputs } from '../../src/connectors/sql/mssql.js';
import { mysqlDialect, sessionStatementsMysql } from '../../src/connectors/sql/mysql.js';
import { compileNamed } from '../../src/connectors/sql/params.js';
import { postgresDialect, sessionStatementsPostgres } from '../../src/connectors/sql/postgres.js';
import { classifySqlError, sqlError } from '../../src/connectors/sql/errors.js';
import { SqlConnection } from '../../src/connectors/sql/config.js';
import { DbTimestamp } from '../../src/connectors/sql/timestamps.js';

function spec(d: Dialect) {
  return {
    table: d.qualify('dbo', 'Service Requests'),
    columns: ['id', 'updated_at', 'status'].map((c) => d.quoteIdent(c)),
    key: d.quoteIdent('id'),
    updatedAt: d.quoteIdent('updated_at'),
  };
}

describe('identifier quoting', () => {
  it('quotes and escapes the quote character of each dialect', () => {
    expect(postgresDialect.quoteIdent('we"ird')).toBe('"we""ird"');
    expect(mysqlDialect.quoteIdent('we`ird')).toBe('`we``ird`');
    expect(mssqlDialect.quoteIdent('we]ird')).toBe('[we]]ird]');
  });
});

describe('keyset SQL', () => {
  it('PostgreSQL: a row comparison, an upper bound and LIMIT', () => {
    expect(postgresDialect.incrementalPage({ ...spec(postgresDialect), lower: 'keyset' })).toBe(
      'SELECT "id", "updated_at", "status" FROM "dbo"."Service Requests" WHERE ("updated_at", "id") > (:since, :after_key) AND "updated_at" <= :until ORDER BY "updated_at", "id" LIMIT :limit',
    );
    expect(postgresDialect.incrementalPage({ ...spec(postgresDialect), lower: 'none' })).toBe(
      'SELECT "id", "updated_at", "status" FROM "dbo"."Service Requests" WHERE "updated_at" <= :until ORDER BY "updated_at", "id" LIMIT :limit',
    );
  });

  it('MySQL / MariaDB: the expanded predicate with an index range', () => {
    expect(mysqlDialect.incrementalPage({ ...spec(mysqlDialect), lower: 'keyset' })).toBe(
      'SELECT `id`, `updated_at`, `status` FROM `dbo`.`Service Requests` WHERE `updated_at` >= :since AND (`updated_at` > :since OR `id` > :after_key) AND `updated_at` <= :until ORDER BY `updated_at`, `id` LIMIT :limit',
    );
  });

  it('SQL Server: TOP, bracket quoting and no row-value comparison', () => {
    expect(mssqlDialect.incrementalPage({ ...spec(mssqlDialect), lower: 'keyset' })).toBe(
      'SELECT TOP (:limit) [id], [updated_at], [status] FROM [dbo].[Service Requests] WHERE [updated_at] >= :since AND ([updated_at] > :since OR [id] > :after_key) AND [updated_at] <= :until ORDER BY [updated_at], [id]',
    );
    expect(mssqlDialect.incrementalPage({ ...spec(mssqlDialect), lower: 'since' })).toBe(
      'SELECT TOP (:limit) [id], [updated_at], [status] FROM [dbo].[Service Requests] WHERE [updated_at] > :since AND [updated_at] <= :until ORDER BY [updated_at], [id]',
    );
    expect(mssqlDialect.snapshotPage({ ...spec(mssqlDialect), first: false })).toBe(
      'SELECT TOP (:limit) [id], [updated_at], [status] FROM [dbo].[Service Requests] WHERE [id] > :after_key ORDER BY [id]',
    );
    expect(mssqlDialect.snapshotPage({ ...spec(mssqlDialect), first: true })).toBe('SELECT TOP (:limit) [id], [updated_at], [status] FROM [dbo].[Service Requests] ORDER BY [id]');
  });

  it('SQL Server: the page statement binds @names with typed inputs', () => {
    const text = mssqlDialect.incrementalPage({ ...spec(mssqlDialect), lower: 'keyset' });
    const ts = new DbTimestamp('2025-03-01', '10:15:30', '1234567');
    const compiled = compileNamed(text, { since: mssqlDialect.bindTimestamp(ts, { name: 'updated_at', kind: 'timestamp', tsKind: 'local', scale: 7, typeName: 'datetime2' }), after_key: 'SR-1', until: '2025-03-01T11:00:00.000', limit: 500 }, 'at');
    expect(compiled.text).toContain('TOP (@limit)');
    expect(compiled.text).toContain('[updated_at] >= @since AND ([updated_at] > @since OR [id] > @after_key) AND [updated_at] <= @until');
    const inputs = mssqlInputs(compiled.named, { since: 'timestamp', until: 'timestamp', after_key: 'varchar', limit: 'int' });
    expect(inputs.map((i) => [i.name, i.kind, i.value])).toEqual([
      ['limit', 'int', 500],
      ['since', 'timestamp', '2025-03-01T10:15:30.1234567'],
      ['after_key', 'varchar', 'SR-1'],
      ['until', 'timestamp', '2025-03-01T11:00:00.000'],
    ]);
    expect(inputs.find((i) => i.name === 'limit')!.type).toBe(sql.Int);
    expect((inputs.find((i) => i.name === 'after_key')!.type as { type: unknown }).type).toBe(sql.VarChar);
  });

  it('SQL Server: infers input types when none are given, and sends big keys as text', () => {
    const inputs = mssqlInputs({ a: 1, b: 2 ** 40, c: 1.5, d: 'x', e: null });
    expect(inputs.map((i) => i.kind)).toEqual(['int', 'bigint', 'float', 'nvarchar', 'nvarchar']);
    expect(inputs[1]!.value).toBe(String(2 ** 40));
    expect(inputs[4]!.value).toBeNull();
  });

  it('SQL Server: timestamps bound as ISO text with T, cut to what the column type accepts', () => {
    const ts = new DbTimestamp('2025-03-01', '10:15:30', '1234567');
    const field = (typeName: string, scale: number) => ({ name: 'x', kind: 'timestamp' as const, tsKind: 'local' as const, scale, typeName });
    expect(mssqlDialect.bindTimestamp(ts, field('datetime2', 7))).toBe('2025-03-01T10:15:30.1234567');
    expect(mssqlDialect.bindTimestamp(ts, field('datetime', 3))).toBe('2025-03-01T10:15:30.123');
    expect(mssqlDialect.bindTimestamp(ts, field('smalldatetime', 0))).toBe('2025-03-01T10:15:30');
    expect(mssqlDialect.bindTimestamp(new DbTimestamp('2025-03-01', '10:15:30', '1234567', '+00:00'), field('datetimeoffset', 7))).toBe('2025-03-01T10:15:30.1234567+00:00');
  });

  it('SQL Server: column metadata → field kinds and key parameter types', () => {
    expect(mssqlFieldInfo({ name: 'u', type: sql.TYPES.DateTime2, scale: 7 })).toMatchObject({ kind: 'timestamp', tsKind: 'local', scale: 7 });
    expect(mssqlFieldInfo({ name: 'u', type: sql.TYPES.DateTimeOffset, scale: 3 })).toMatchObject({ kind: 'timestamp', tsKind: 'zoned', scale: 3 });
    expect(mssqlFieldInfo({ name: 'u', type: sql.TYPES.DateTime })).toMatchObject({ kind: 'timestamp', tsKind: 'local', scale: 3 });
    expect(keyParamType(mssqlFieldInfo({ name: 'k', type: sql.TYPES.VarChar }))).toBe('varchar');
    expect(keyParamType(mssqlFieldInfo({ name: 'k', type: sql.TYPES.NVarChar }))).toBe('nvarchar');
    expect(keyParamType(mssqlFieldInfo({ name: 'k', type: sql.TYPES.BigInt }))).toBe('bigint');
  });

  it('SQL Server: tedious Dates become exact timestamps and dates', () => {
    const d = new Date(Date.UTC(2025, 6, 1, 9, 30, 0, 123));
    Object.defineProperty(d, 'nanosecondsDelta', { value: 4567 / 1e7 });
    const rows: Record<string, unknown>[] = [{ u: d, day: new Date(Date.UTC(2025, 6, 1)), n: 1 }];
    convertRows(rows, [mssqlFieldInfo({ name: 'u', type: sql.TYPES.DateTime2, scale: 7 }), mssqlFieldInfo({ name: 'day', type: sql.TYPES.Date }), mssqlFieldInfo({ name: 'n', type: sql.TYPES.Int })]);
    expect(String(rows[0]!.u)).toBe('2025-07-01 09:30:00.1234567');
    expect(rows[0]!.day).toBe('2025-07-01');
    expect(rows[0]!.n).toBe(1);
  });
});

describe('read-only sessions', () => {
  const conn = (dialect: string) => SqlConnection.parse({ dialect, host: 'h', database: 'd', user: 'u' });
  it('PostgreSQL sessions are UTC, ISO-dated, time-limited and read-only', () => {
    expect(sessionStatementsPostgres(conn('postgres'))).toEqual([
      "SET TIME ZONE 'UTC'",
      "SET DateStyle = 'ISO, YMD'",
      'SET statement_timeout = 60000',
      'SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY',
    ]);
  });
  it('MySQL and MariaDB name the statement time limit differently', () => {
    expect(sessionStatementsMysql(conn('mysql'))).toEqual(["SET time_zone = '+00:00'", 'SET SESSION max_execution_time = 60000', 'SET SESSION TRANSACTION READ ONLY']);
    expect(sessionStatementsMysql(conn('mariadb'))).toEqual(["SET time_zone = '+00:00'", 'SET SESSION max_statement_time = 60', 'SET SESSION TRANSACTION READ ONLY']);
  });
});

describe('error classification', () => {
  it('connection trouble is retriable, SQL and permission problems are not', () => {
    expect(classifySqlError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe('connection');
    expect(classifySqlError({ code: '57P03', message: 'the database system is starting up' })).toBe('connection');
    expect(classifySqlError({ code: '42601', message: 'syntax error' })).toBe('syntax');
    expect(classifySqlError({ code: '42501', message: 'permission denied' })).toBe('permission');
    expect(classifySqlError({ code: 'ER_PARSE_ERROR', message: 'x' })).toBe('syntax');
    expect(classifySqlError({ code: 'PROTOCOL_CONNECTION_LOST', message: 'x' })).toBe('connection');
    expect(classifySqlError({ code: 'EREQUEST', number: 1205, message: 'deadlock victim' })).toBe('transient');
    expect(classifySqlError({ code: 'EREQUEST', number: 229, message: 'SELECT permission denied' })).toBe('permission');
    expect(classifySqlError({ code: 'ESOCKET', message: 'socket hang up' })).toBe('connection');
    const retriable = sqlError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), { operation: 'connect' });
    expect(retriable.retriable).toBe(true);
    const fatal = sqlError({ code: '42501', message: 'permission denied for table cases' }, { operation: 'read page', table: 'public.cases' });
    expect(fatal.retriable).toBe(false);
    expect(fatal.message).toMatch(/read page on public.cases failed: permission denied.*GRANT/);
    expect(fatal.context).toMatchObject({ table: 'public.cases', operation: 'read page' });
  });
});
