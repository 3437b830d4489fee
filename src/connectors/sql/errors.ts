/**
 * Driver errors → typed errors. A database that is down, restarting, overloaded or slow is worth
 * retrying (SourceError retriable: the connector backs off). Wrong SQL, a missing object, a denied
 * permission or a failed login needs a person: non-retriable, with the table and the operation.
 */
import { SourceError, type ErrorContext } from '../../core/errors.js';
import { redactSecrets } from '../../core/logger.js';

export type SqlErrorCategory = 'connection' | 'timeout' | 'transient' | 'auth' | 'permission' | 'missing-object' | 'syntax' | 'read-only' | 'other';

const RETRIABLE: ReadonlySet<SqlErrorCategory> = new Set(['connection', 'timeout', 'transient']);

const NODE_NET = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED']);

const MYSQL: Record<string, SqlErrorCategory> = {
  PROTOCOL_CONNECTION_LOST: 'connection',
  PROTOCOL_SEQUENCE_TIMEOUT: 'timeout',
  ER_CON_COUNT_ERROR: 'transient',
  ER_TOO_MANY_USER_CONNECTIONS: 'transient',
  ER_SERVER_SHUTDOWN: 'connection',
  ER_LOCK_DEADLOCK: 'transient',
  ER_LOCK_WAIT_TIMEOUT: 'transient',
  ER_QUERY_INTERRUPTED: 'timeout',
  ER_QUERY_TIMEOUT: 'timeout',
  ER_STATEMENT_TIMEOUT: 'timeout',
  ER_ACCESS_DENIED_ERROR: 'auth',
  ER_DBACCESS_DENIED_ERROR: 'auth',
  ER_TABLEACCESS_DENIED_ERROR: 'permission',
  ER_COLUMNACCESS_DENIED_ERROR: 'permission',
  ER_SPECIFIC_ACCESS_DENIED_ERROR: 'permission',
  ER_PARSE_ERROR: 'syntax',
  ER_WRONG_ARGUMENTS: 'syntax',
  ER_NO_SUCH_TABLE: 'missing-object',
  ER_BAD_FIELD_ERROR: 'missing-object',
  ER_BAD_DB_ERROR: 'missing-object',
  ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION: 'read-only',
};

/** SQL Server error numbers (sys.messages). */
const MSSQL_NUMBERS: Record<number, SqlErrorCategory> = {
  [-2]: 'timeout',
  1205: 'transient', // deadlock victim
  1222: 'transient', // lock request time out
  40501: 'transient', // service busy (Azure)
  40613: 'transient', // database unavailable (Azure)
  40197: 'transient',
  49918: 'transient',
  4060: 'auth', // cannot open database requested by the login
  18456: 'auth',
  229: 'permission',
  230: 'permission',
  262: 'permission',
  208: 'missing-object',
  207: 'missing-object',
  102: 'syntax',
  156: 'syntax',
  170: 'syntax',
  3906: 'read-only',
};

export function classifySqlError(err: unknown): SqlErrorCategory {
  const e = err as { code?: unknown; number?: unknown; message?: unknown; originalError?: unknown; errno?: unknown } | undefined;
  if (!e || typeof e !== 'object') return 'other';
  const code = typeof e.code === 'string' ? e.code : undefined;
  const message = typeof e.message === 'string' ? e.message : '';

  if (code && NODE_NET.has(code)) return 'connection';

  // PostgreSQL SQLSTATE (five characters).
  if (code && /^[0-9A-Z]{5}$/.test(code) && !code.startsWith('E')) {
    if (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03') return 'connection';
    if (code === '57014') return 'timeout';
    if (code.startsWith('53') || code === '40001' || code === '40P01' || code === '55P03') return 'transient';
    if (code.startsWith('28') || code === '3D000') return 'auth';
    if (code === '42501') return 'permission';
    if (code === '42P01' || code === '42703' || code === '3F000' || code === '42883') return 'missing-object';
    if (code === '42601' || code.startsWith('42') || code.startsWith('22')) return 'syntax';
    if (code === '25006') return 'read-only';
    return 'other';
  }

  if (code && code in MYSQL) return MYSQL[code]!;

  // mssql: ConnectionError / RequestError with tedious codes and SQL Server error numbers.
  const number = typeof e.number === 'number' ? e.number : undefined;
  if (number !== undefined && number in MSSQL_NUMBERS) return MSSQL_NUMBERS[number]!;
  if (code === 'ELOGIN') return 'auth';
  if (code === 'ESOCKET' || code === 'ECONNCLOSED' || code === 'ENOTOPEN' || code === 'ECLOSE') return 'connection';
  if (code === 'ETIMEOUT') return 'timeout';
  if (code === 'EREQUEST' && number === undefined && e.originalError) return classifySqlError(e.originalError);

  // pg without a code: the socket went away or a client-side timeout fired.
  if (/Connection terminated|connection timeout|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error|read ECONNRESET/i.test(message)) {
    return /timeout/i.test(message) ? 'timeout' : 'connection';
  }
  if (/pool is (closed|draining)|Pool is closed/i.test(message)) return 'other';
  return 'other';
}

const ADVICE: Partial<Record<SqlErrorCategory, string>> = {
  auth: 'check connection.user / password / database',
  permission: 'the account lacks a grant; see docs/sql.md for the read-only GRANT statements',
  'missing-object': 'a table or column does not exist (or the account cannot see it)',
  syntax: 'the SQL was rejected; check the custom query',
  'read-only': 'the session is read-only by design; casebridge only reads',
};

/** Wrap a driver error with where it happened; messages are scrubbed of registered secrets. */
export function sqlError(err: unknown, context: ErrorContext & { operation: string }): SourceError {
  const category = classifySqlError(err);
  const m = (err as { message?: unknown } | undefined)?.message;
  const raw = typeof m === 'string' ? m : String(err);
  const detail = redactSecrets(raw || (err as { code?: string })?.code || 'unknown error');
  const advice = ADVICE[category];
  const what = context.table ? `${context.operation} on ${context.table}` : context.operation;
  return new SourceError(`database ${what} failed: ${detail}${advice ? ` — ${advice}` : ''}`, {
    cause: err,
    code: `sql_${category.replace('-', '_')}`,
    retriable: RETRIABLE.has(category),
    context,
  });
}
