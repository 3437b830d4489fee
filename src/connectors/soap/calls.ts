/**
 * The configured calls of a SOAP connector, checked before the first request: time zones and
 * paths that parse, placeholders each call may use (a full listing has no time window, a login
 * has no variables), paging that actually pages, and raw envelopes read once.
 */
import type { Logger } from '../../core/logger.js';
import { durationMs } from '../../core/units.js';
import { ConfigError } from '../../core/errors.js';
import type { DetailCall, ListCall, LoginCall, SoapConnectorConfig, TimeRendering } from './config.js';
import { parsePath } from './path.js';
import { placeholdersIn } from './template.js';
import { isValidZone } from './times.js';
import { readConfigFile, type CallRequest } from './transport.js';

const LIST_VARS = new Set(['since', 'until', 'page', 'pageSize', 'offset', 'token']);
const DETAIL_VARS = new Set(['since', 'until', 'token', 'ref', 'item']);
// A full listing has no time window: it lists what is open now.
const LISTING_VARS = new Set(['page', 'pageSize', 'offset', 'token']);
const LISTING_DETAIL_VARS = new Set(['token', 'ref', 'item']);
const LOGIN_VARS = new Set<string>();

export interface PreparedCall {
  kind: 'session' | 'list' | 'detail';
  request: CallRequest;
  times: TimeRendering;
}

export interface PreparedCalls {
  loginCall?: PreparedCall;
  listCall: PreparedCall;
  detailCall?: PreparedCall;
  /** The list call is told the window's end, so long windows can be read in maxSpan steps. */
  listUsesUntil: boolean;
}

export function checkPlaceholders(kind: string, template: unknown, allowed: Set<string>, hasSession: boolean, connector: string, extra: string[] = []): Set<string> {
  const used = placeholdersIn(template);
  for (const name of used) {
    const root = name.split('.')[0] as string;
    if (!allowed.has(root) && !extra.includes(root)) {
      throw new ConfigError(`{{${name}}} cannot be used in ${kind} (allowed there: ${[...allowed].map((a) => (a === 'item' ? '{{item.Field}}' : `{{${a}}}`)).join(' ') || 'no placeholders'})`, {
        context: { connector, field: `${kind}.args` },
      });
    }
    if (root === 'token' && !hasSession) throw new ConfigError(`{{token}} is used in ${kind} but no session (login) is configured`, { context: { connector, field: kind } });
  }
  return used;
}

/** Zones, paths and the window span: each mistake named by its field. */
export function checkSoapConfig(config: SoapConnectorConfig, connector: string): void {
  if (durationMs(config.window.maxSpan) <= 0) throw new ConfigError('window.maxSpan must be more than 0', { context: { connector, field: 'window.maxSpan' } });
  for (const [field, t] of [
    ['times', config.times],
    ['session.times', config.session?.times],
    ['list.times', config.list.times],
    ['detail.times', config.detail?.times],
  ] as const) {
    if (t && !isValidZone(t.zone)) throw new ConfigError(`unknown time zone "${t.zone}" (use an IANA name such as Europe/London)`, { context: { connector, field: `${field}.zone` } });
  }
  for (const [field, p] of [
    ['list.records', config.list.records],
    ['list.key', config.list.key],
    ['list.paging.total', config.list.paging?.total],
    ['list.paging.totalPages', config.list.paging?.totalPages],
    ['detail.records', config.detail?.records],
    ['detail.orderBy', config.detail?.orderBy],
    ['session.token', config.session?.token],
    ['errors.code', config.errors.code],
    ['errors.message', config.errors.message],
  ] as const) {
    if (p === undefined) continue;
    try {
      parsePath(p);
    } catch (e) {
      throw new ConfigError((e as Error).message, { context: { connector, field } });
    }
  }
}

export function prepareCalls(config: SoapConnectorConfig, baseDir: string, connector: string, logger: Logger): PreparedCalls {
  const timeoutMs = durationMs(config.timeout);
  const prepare = (kind: PreparedCall['kind'], call: LoginCall | ListCall | DetailCall, allowed: Set<string>): PreparedCall => {
    let envelope: string | undefined;
    if (config.mode === 'raw') {
      envelope = readConfigFile(baseDir, call.envelope as string, `${kind}.envelope`).toString('utf8');
      checkPlaceholders(kind, envelope, allowed, !!config.session, connector, ['security', 'args']);
      checkPlaceholders(kind, call.args, allowed, !!config.session, connector);
    } else {
      checkPlaceholders(kind, call.args, allowed, !!config.session, connector);
    }
    return {
      kind,
      times: call.times ?? config.times,
      request: {
        operation: call.operation,
        args: call.args,
        ...(envelope !== undefined ? { envelope } : {}),
        ...(call.soapAction !== undefined ? { soapAction: call.soapAction } : {}),
        timeoutMs: call.timeout ? durationMs(call.timeout) : timeoutMs,
      },
    };
  };

  const loginCall = config.session ? prepare('session', config.session, LOGIN_VARS) : undefined;
  const listCall = prepare('list', config.list, config.snapshot ? LISTING_VARS : LIST_VARS);
  const detailCall = config.detail ? prepare('detail', config.detail, config.snapshot ? LISTING_DETAIL_VARS : DETAIL_VARS) : undefined;

  const listUses = placeholdersIn(config.mode === 'raw' ? listCall.request.envelope : config.list.args);
  if ((listUses.has('page') || listUses.has('offset') || listUses.has('pageSize')) && !config.list.paging) {
    throw new ConfigError('list uses {{page}}, {{offset}} or {{pageSize}} but list.paging is not configured', { context: { connector, field: 'list.paging' } });
  }
  if (config.list.paging && !listUses.has('page') && !listUses.has('offset')) {
    throw new ConfigError('list.paging is configured but the list arguments use neither {{page}} nor {{offset}}: every page would be the same', { context: { connector, field: 'list.args' } });
  }
  if (config.list.paging && config.list.paging.total === undefined && config.list.paging.totalPages === undefined && config.list.paging.pageSize === undefined) {
    logger.info('list.paging has neither pageSize, total nor totalPages: paging stops at the first empty page');
  }
  return { ...(loginCall ? { loginCall } : {}), listCall, ...(detailCall ? { detailCall } : {}), listUsesUntil: listUses.has('until') };
}
