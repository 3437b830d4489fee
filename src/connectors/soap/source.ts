/**
 * SOAP polling source: time windows, paging, session tokens and two-step (list, then details)
 * suppliers, all driven by configuration.
 *
 * Position: the checkpoint is the window being read and the last page of it that was published.
 * Each window starts `overlap` before the previous window's end (servers that store times with
 * less precision than they compare, or that commit late, would otherwise lose records at the edge);
 * the repeats this causes are harmless because event ids are deterministic and unchanged cases
 * produce no events. The window end is `now - lag` so records still being written are not passed.
 * The source never commits: the runtime commits `batch.checkpoint` after publishing, then acks.
 */
import { randomUUID } from 'node:crypto';
import pLimit from 'p-limit';
import { z } from 'zod';
import { durationMs } from '../../core/units.js';
import { ConfigError, SourceError, type CasebridgeError, type ErrorContext } from '../../core/errors.js';
import type { Checkpoint, SourceBatch, SourceDeps, SourceRecord, SourceReject, Source, ReadContext } from '../../core/source.js';
import type { DetailCall, ErrorRules, ListCall, LoginCall, SoapConnectorConfig, TimeRendering } from './config.js';
import { codeVariants, inBodyError, SessionExpiredError, toSourceError } from './errors.js';
import { createGuardedHttp, type GuardedHttp } from './http.js';
import { parsePath, scalarText, selectAll, selectOne } from './path.js';
import { emptyListWarning } from './response-checks.js';
import { MissingTemplateValue, placeholdersIn, type TemplateVars } from './template.js';
import { isValidZone, renderTime, widenForClockChange } from './times.js';
import { createRawTransport, createWsdlTransport, readConfigFile, type CallRequest, type SoapTransport } from './transport.js';

export const SoapCheckpoint = z
  .object({
    v: z.literal(1),
    /** Effective "since" of the window (overlap already applied). */
    windowStart: z.iso.datetime({ offset: true }),
    windowEnd: z.iso.datetime({ offset: true }),
    /** Last page of the window whose records were published (null: none yet). */
    page: z.number().int().nullable(),
    /** Items read so far in this window (for a total-count stop after a restart). */
    seen: z.number().int().min(0),
    complete: z.boolean(),
  })
  .strict();
export type SoapCheckpoint = z.infer<typeof SoapCheckpoint>;

const LIST_VARS = new Set(['since', 'until', 'page', 'pageSize', 'offset', 'token']);
const DETAIL_VARS = new Set(['since', 'until', 'token', 'ref', 'item']);
// A full listing has no time window: it lists what is open now.
const LISTING_VARS = new Set(['page', 'pageSize', 'offset', 'token']);
const LISTING_DETAIL_VARS = new Set(['token', 'ref', 'item']);
const LOGIN_VARS = new Set<string>();

interface PreparedCall {
  kind: 'session' | 'list' | 'detail';
  request: CallRequest;
  times: TimeRendering;
}

function checkPlaceholders(kind: string, template: unknown, allowed: Set<string>, hasSession: boolean, connector: string, extra: string[] = []): Set<string> {
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

export function createSoapSourceImpl(config: SoapConnectorConfig, deps: SourceDeps): Source {
  const { connector, clock, logger } = deps;
  const baseContext: ErrorContext = { connector };
  const rules: ErrorRules = config.errors;
  const timeoutMs = durationMs(config.timeout);
  const win = {
    maxSpanMs: durationMs(config.window.maxSpan),
    lagMs: durationMs(config.window.lag),
    overlapMs: durationMs(config.window.overlap),
  };
  if (win.maxSpanMs <= 0) throw new ConfigError('window.maxSpan must be more than 0', { context: { connector, field: 'window.maxSpan' } });

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

  const prepare = (kind: PreparedCall['kind'], call: LoginCall | ListCall | DetailCall, allowed: Set<string>): PreparedCall => {
    let envelope: string | undefined;
    if (config.mode === 'raw') {
      envelope = readConfigFile(deps.baseDir, call.envelope as string, `${kind}.envelope`).toString('utf8');
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
  const listUsesUntil = listUses.has('until');
  if ((listUses.has('page') || listUses.has('offset') || listUses.has('pageSize')) && !config.list.paging) {
    throw new ConfigError('list uses {{page}}, {{offset}} or {{pageSize}} but list.paging is not configured', { context: { connector, field: 'list.paging' } });
  }
  if (config.list.paging && !listUses.has('page') && !listUses.has('offset')) {
    throw new ConfigError('list.paging is configured but the list arguments use neither {{page}} nor {{offset}}: every page would be the same', { context: { connector, field: 'list.args' } });
  }
  if (config.list.paging && config.list.paging.total === undefined && config.list.paging.totalPages === undefined && config.list.paging.pageSize === undefined) {
    logger.info('list.paging has neither pageSize, total nor totalPages: paging stops at the first empty page');
  }

  // Hosts a call may go to: the WSDL host, the endpoint host, and what the council allowed.
  const hosts = new Set(config.allowHosts);
  for (const u of [config.wsdl, config.endpoint, config.session?.wsdl, config.session?.endpoint]) {
    if (u && /^https?:\/\//i.test(u)) hosts.add(new URL(u).host);
  }

  let http: GuardedHttp | undefined;
  let transport: SoapTransport | undefined;
  let closed = false;

  const getTransport = (): SoapTransport => {
    if (transport) return transport;
    const auth = config.auth;
    const tlsFiles = {
      ...(config.tls?.ca ? { ca: readConfigFile(deps.baseDir, config.tls.ca, 'tls.ca') } : {}),
      ...(auth.type === 'certificate'
        ? { cert: readConfigFile(deps.baseDir, auth.cert, 'auth.cert'), key: readConfigFile(deps.baseDir, auth.key, 'auth.key'), ...(auth.passphrase ? { passphrase: auth.passphrase } : {}) }
        : {}),
      rejectUnauthorized: config.tls?.rejectUnauthorized ?? true,
    };
    http = createGuardedHttp({ allowedHosts: hosts, timeoutMs, maxResponseBytes: config.maxResponseBytes, headers: config.httpHeaders, tls: tlsFiles, context: baseContext });
    const tdeps = { config, baseDir: deps.baseDir, http, rules, alwaysArray: new Set(config.alwaysArray), connector };
    transport = config.mode === 'raw' ? createRawTransport(tdeps) : createWsdlTransport(tdeps);
    return transport;
  };

  // A login on a separate authentication service gets its own transport (same guards and limits).
  const separateAuth = config.session !== undefined && (config.session.wsdl !== undefined || config.session.endpoint !== undefined);
  let authTransport: SoapTransport | undefined;
  const getAuthTransport = (): SoapTransport => {
    const main = getTransport();
    if (!separateAuth) return main;
    if (authTransport) return authTransport;
    const session = config.session as LoginCall;
    const authConfig = { ...config, wsdl: session.wsdl ?? config.wsdl, endpoint: session.endpoint ?? (session.wsdl ? undefined : config.endpoint) };
    const tdeps = { config: authConfig, baseDir: deps.baseDir, http: http as GuardedHttp, rules, alwaysArray: new Set(config.alwaysArray), connector };
    authTransport = config.mode === 'raw' ? createRawTransport(tdeps) : createWsdlTransport(tdeps);
    return authTransport;
  };

  // ---------------------------------------------------------------------------------------------
  // session token

  let token: string | undefined;
  let tokenAt = 0;
  let tokenPending: Promise<string> | undefined;
  const tokenTtlMs = config.session?.ttl ? durationMs(config.session.ttl) : undefined;

  const login = async (signal: AbortSignal): Promise<string> => {
    const call = loginCall as PreparedCall;
    const ctx = { ...baseContext, operation: call.request.operation };
    let result: unknown;
    try {
      result = await getAuthTransport().invoke(call.request, {}, signal, ctx);
    } catch (e) {
      throw classify(e, ctx, signal);
    }
    const err = inBodyError(result, rules, ctx);
    if (err) {
      // A login refused in the body is a credentials problem unless the supplier says "try later".
      throw err.retriable ? err : new SourceError(`login refused: ${err.message}`, { code: 'auth', retriable: false, context: err.context });
    }
    const value = scalarText(selectOne(result, (config.session as LoginCall).token));
    if (!value) throw new SourceError(`login returned no token at ${(config.session as LoginCall).token}`, { code: 'auth', retriable: false, context: ctx });
    logger.debug({ operation: call.request.operation }, 'logged in; new session token');
    return value;
  };

  const currentToken = async (signal: AbortSignal): Promise<string | undefined> => {
    if (!loginCall) return undefined;
    const fresh = token !== undefined && (tokenTtlMs === undefined || clock.now().getTime() - tokenAt < tokenTtlMs);
    if (fresh) return token;
    tokenPending ??= login(signal)
      .then((t) => {
        token = t;
        tokenAt = clock.now().getTime();
        return t;
      })
      .finally(() => {
        tokenPending = undefined;
      });
    return tokenPending;
  };

  const classify = (e: unknown, ctx: ErrorContext, signal: AbortSignal): CasebridgeError =>
    toSourceError(e, rules, ctx, { timeoutMs, maxResponseBytes: config.maxResponseBytes, shutdown: signal });

  /** One call with session handling: an expired token is renewed once and the call repeated. */
  const invoke = async (call: PreparedCall, vars: TemplateVars, signal: AbortSignal, ctx: ErrorContext): Promise<unknown> => {
    for (let attempt = 0; ; attempt++) {
      const used = await currentToken(signal);
      const started = Date.now();
      try {
        const result = await getTransport().invoke(call.request, { ...vars, ...(used !== undefined ? { token: used } : {}) }, signal, ctx);
        const err = inBodyError(result, rules, ctx);
        if (err) throw err;
        logger.debug({ operation: call.request.operation, page: ctx.page, ms: Date.now() - started }, 'soap call ok');
        return result;
      } catch (e) {
        if (e instanceof MissingTemplateValue) throw e;
        const err = classify(e, ctx, signal);
        if (err instanceof SessionExpiredError && loginCall && attempt === 0) {
          logger.info({ operation: call.request.operation }, 'session token expired; logging in again');
          if (token === used) token = undefined;
          continue;
        }
        throw err;
      }
    }
  };

  // ---------------------------------------------------------------------------------------------
  // one page: list items → records (directly, or through one detail call per item)

  const refOf = (item: unknown): string | undefined => (config.list.key ? scalarText(selectOne(item, config.list.key)) : scalarText(item));

  const orderKey = (rec: unknown): string | number | undefined => {
    const v = scalarText(selectOne(rec, (config.detail as DetailCall).orderBy as string));
    if (v === undefined) return undefined;
    const n = Number(v);
    return v.trim() !== '' && Number.isFinite(n) ? n : v;
  };
  const compare = (a: string | number | undefined, b: string | number | undefined): number => {
    if (a === undefined) return b === undefined ? 0 : -1;
    if (b === undefined) return 1;
    return typeof a === 'number' && typeof b === 'number' ? a - b : String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
  };

  /** An in-body code or fault code listed in detail.skipCodes (fault codes with or without prefix). */
  const skippable = (e: SourceError, codes: string[]): boolean => {
    const { supplierCode, faultCode, status } = e.context;
    // Refused credentials are never "this item has no details", whatever the fault code says.
    if (e.code === 'auth' || status === 401 || status === 403) return false;
    if (typeof supplierCode === 'string' && codes.includes(supplierCode)) return true;
    return typeof faultCode === 'string' && codeVariants(faultCode).some((c) => codes.includes(c));
  };

  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

  async function recordsForPage(
    items: unknown[],
    page: number | undefined,
    window: { since: Date; until: Date },
    signal: AbortSignal,
  ): Promise<{ records: SourceRecord[]; rejects: SourceReject[] }> {
    const records: SourceRecord[] = [];
    const rejects: SourceReject[] = [];
    const listOp = config.list.operation;
    const fetchedAt = () => clock.now().toISOString();
    const pagePart = page === undefined ? {} : { page };

    if (!detailCall) {
      for (const item of items) {
        const ref = refOf(item);
        const position = { operation: listOp, ...pagePart, ...(ref !== undefined ? { key: ref } : {}) };
        if (isObject(item)) records.push({ raw: item, position, fetchedAt: fetchedAt() });
        else rejects.push({ reason: `${listOp} returned a bare value where a record was expected (configure detail to fetch records by reference)`, original: item, position });
      }
      return { records, rejects };
    }

    const detail = config.detail as DetailCall;
    const detailOp = detail.operation;
    // The same reference twice on one page (several status rows) needs one detail call.
    const unique = new Map<string, unknown>();
    for (const item of items) {
      const ref = refOf(item);
      if (ref === undefined || ref.trim() === '') {
        rejects.push({ reason: `${listOp} item has no reference${config.list.key ? ` at ${config.list.key}` : ''}`, original: item, position: { operation: listOp, ...pagePart } });
        continue;
      }
      unique.set(ref, item);
    }
    const limit = pLimit(detail.concurrency);
    const times = detailCall.times;
    const since = renderTime(window.since, times);
    const until = renderTime(window.until, times);
    let failed = false;
    const outcomes = await Promise.all(
      [...unique].map(([ref, item]) =>
        limit(async () => {
          if (failed || signal.aborted) return undefined;
          const position = { operation: detailOp, ...pagePart, key: ref };
          const ctx = { ...baseContext, operation: detailOp, key: ref };
          try {
            const result = await invoke(detailCall, { ref, item, since, until }, signal, ctx);
            let found = selectAll(result, detail.records);
            const bad = found.filter((r) => !isObject(r));
            found = found.filter(isObject);
            if (found.length === 0) {
              return { rejects: [{ reason: `${detailOp} returned no record at ${detail.records} for ${ref}${bad.length ? ' (only bare values)' : ''}`, original: item, position }] };
            }
            if (detail.orderBy) found = [...found].sort((a, b) => compare(orderKey(a), orderKey(b)));
            if (detail.select === 'latest') found = found.slice(-1);
            const recs = found.map((r) => ({
              raw: detail.listAs ? { ...(r as Record<string, unknown>), [detail.listAs]: item } : (r as Record<string, unknown>),
              position,
              fetchedAt: fetchedAt(),
            }));
            return { records: recs };
          } catch (e) {
            if (e instanceof MissingTemplateValue) {
              return { rejects: [{ reason: `${detailOp} arguments: ${e.message} in this ${listOp} item`, original: item, position }] };
            }
            if (e instanceof SourceError && skippable(e, detail.skipCodes)) {
              return { rejects: [{ reason: `${detailOp} for ${ref}: ${(e as Error).message}`, original: item, position }] };
            }
            failed = true;
            limit.clearQueue();
            throw e;
          }
        }),
      ),
    );
    for (const o of outcomes) {
      if (!o) continue;
      if (o.records) records.push(...o.records);
      if (o.rejects) rejects.push(...o.rejects);
    }
    return { records, rejects };
  }

  // ---------------------------------------------------------------------------------------------
  // windows and pages

  const firstStart = (now: Date): Date => {
    const s = config.window.start;
    return /^\d+(\.\d+)?(ms|s|m|h|d)$/.test(s) ? new Date(now.getTime() - durationMs(s)) : new Date(s);
  };

  const readCheckpoint = (cp: Checkpoint | undefined): SoapCheckpoint | undefined => {
    if (cp === undefined) return undefined;
    const parsed = SoapCheckpoint.safeParse(cp);
    if (!parsed.success) {
      throw new SourceError(`stored position is not a SOAP window (${JSON.stringify(cp).slice(0, 200)}); reset this connector's checkpoint to start again`, { code: 'checkpoint_invalid', retriable: false, context: baseContext });
    }
    return parsed.data;
  };

  const chunk = <T>(arr: T[], size: number): T[][] => {
    const out: T[][] = [];
    for (let i = 0; i < arr.length; i += size) out.push(arr.slice(i, i + size));
    return out.length ? out : [[]];
  };

  const pagingVars = (page: number | undefined, seen: number): TemplateVars => {
    const paging = config.list.paging;
    if (!paging || page === undefined) return {};
    if (paging.pageSize !== undefined) return { page, pageSize: paging.pageSize, offset: (page - paging.start) * paging.pageSize };
    return { page, offset: seen };
  };

  /**
   * Full-listing mode: every run reads the whole listing, page by page, as one snapshot. Nothing is
   * resumed: a listing that failed part-way is read again from its first page by the next run
   * (cases already seen are unchanged and publish nothing), and closes nothing (the runtime knows
   * from the missing final batch). A listing whose paging ended short of the total the supplier
   * announced is complete as far as the calls go, but says so, so it closes nothing either.
   */
  async function* readListing(ctx: ReadContext): AsyncGenerator<SourceBatch> {
    const { signal } = ctx;
    const snapshot = config.snapshot!;
    const paging = config.list.paging;
    const started = clock.now();
    const listing = { id: `listing@${started.toISOString()}#${randomUUID().slice(0, 8)}`, onMissing: snapshot.onMissing, maxCloseShare: snapshot.maxCloseShare };
    const ack = async () => undefined;
    let page = paging ? paging.start : undefined;
    let seen = 0;
    let incomplete: string | undefined;
    for (let pagesRead = 0; ; pagesRead++) {
      if (signal.aborted) return;
      if (paging && pagesRead >= paging.maxPages) {
        throw new SourceError(`more than paging.maxPages (${paging.maxPages}) pages in one listing; raise paging.maxPages if the supplier really lists this many`, {
          code: 'too_many_pages',
          retriable: false,
          context: { ...baseContext, operation: config.list.operation, page },
        });
      }
      const callCtx = { ...baseContext, operation: config.list.operation, ...(page !== undefined ? { page } : {}) };
      let result: unknown;
      try {
        result = await invoke(listCall, pagingVars(page, seen), signal, callCtx);
      } catch (e) {
        if (e instanceof MissingTemplateValue) throw new ConfigError(`list arguments: ${e.message}`, { context: callCtx });
        throw e;
      }
      const items = selectAll(result, config.list.records);
      seen += items.length;
      const totalText = paging?.total ? scalarText(selectOne(result, paging.total)) : undefined;
      const total = totalText !== undefined && totalText.trim() !== '' && Number.isFinite(Number(totalText)) ? Number(totalText) : undefined;
      const last = !paging || items.length === 0 || (paging.pageSize !== undefined && items.length < paging.pageSize) || (total !== undefined && seen >= total);
      if (last && total !== undefined && seen < total) incomplete = `paging ended after ${seen} of the ${total} items ${config.list.operation} announced`;

      const { records, rejects } = await recordsForPage(items, page, { since: started, until: started }, signal);
      if (signal.aborted) return;
      const chunks = chunk(records, config.batchSize);
      for (let i = 0; i < chunks.length; i++) {
        const final = i === chunks.length - 1;
        yield { records: chunks[i] as SourceRecord[], ...(final && rejects.length ? { rejects } : {}), snapshot: { ...listing, final: false }, ack };
        if (signal.aborted) return;
      }
      if (last) break;
      page = (page as number) + 1;
    }
    logger.debug({ items: seen, ...(incomplete ? { incomplete } : {}) }, 'listing read');
    yield { records: [], snapshot: { ...listing, final: true, ...(incomplete ? { incomplete } : {}) }, ack };
  }

  async function* read(ctx: ReadContext): AsyncGenerator<SourceBatch> {
    if (closed) return;
    if (config.snapshot) {
      yield* readListing(ctx);
      return;
    }
    const { signal } = ctx;
    let cp = readCheckpoint(ctx.checkpoint);
    const paging = config.list.paging;
    // One run reads up to the time it started (minus lag): windows move forward by up to maxSpan
    // until they reach it, so the loop is bounded even while the clock keeps moving.
    const now = clock.now();
    for (let windows = 0; windows < 100_000 && !signal.aborted; windows++) {
      const limitEnd = new Date(now.getTime() - win.lagMs);
      let since: Date;
      let until: Date;
      let page: number | undefined;
      let seen = 0;
      if (cp && !cp.complete) {
        since = new Date(cp.windowStart);
        until = new Date(cp.windowEnd);
        page = paging ? (cp.page === null ? paging.start : cp.page + 1) : undefined;
        seen = cp.seen;
      } else {
        const prevEnd = cp ? new Date(cp.windowEnd) : undefined;
        since = prevEnd ? new Date(prevEnd.getTime() - win.overlapMs) : firstStart(now);
        const from = prevEnd ?? since;
        // maxSpan only helps when the server is told the end; a since-only operation returns
        // everything up to now anyway, so stepping would fetch the same changes again per step.
        until = listUsesUntil ? new Date(Math.min(limitEnd.getTime(), from.getTime() + win.maxSpanMs)) : limitEnd;
        if (until.getTime() <= from.getTime()) return; // caught up
        page = paging ? paging.start : undefined;
      }
      const listTimes = listCall.times;
      const renderedSince = renderTime(widenForClockChange(since, until, listTimes.zone), listTimes);
      const renderedUntil = renderTime(until, listTimes);
      const windowInfo = { windowStart: since.toISOString(), windowEnd: until.toISOString() };
      logger.debug({ since: renderedSince, until: renderedUntil, page }, 'reading window');

      for (let pagesRead = 0; ; pagesRead++) {
        if (signal.aborted) return;
        if (paging && pagesRead >= paging.maxPages) {
          throw new SourceError(`more than paging.maxPages (${paging.maxPages}) pages in one window; lower window.maxSpan or raise paging.maxPages`, { code: 'too_many_pages', retriable: false, context: { ...baseContext, operation: config.list.operation, page } });
        }
        const vars: TemplateVars = { since: renderedSince, until: renderedUntil, ...pagingVars(page, seen) };
        const callCtx = { ...baseContext, operation: config.list.operation, ...(page !== undefined ? { page } : {}) };
        let result: unknown;
        try {
          result = await invoke(listCall, vars, signal, callCtx);
        } catch (e) {
          if (e instanceof MissingTemplateValue) throw new ConfigError(`list arguments: ${e.message}`, { context: callCtx });
          throw e;
        }
        const items = selectAll(result, config.list.records);
        const warning = items.length === 0 ? emptyListWarning(result, config.list.records, rules, config.list.operation) : undefined;
        seen += items.length;
        const total = countAt(result, paging?.total);
        const totalPages = countAt(result, paging?.totalPages);
        const last =
          !paging ||
          items.length === 0 ||
          (paging.pageSize !== undefined && items.length < paging.pageSize) ||
          (total !== undefined && seen >= total) ||
          (totalPages !== undefined && page !== undefined && page - paging.start + 1 >= totalPages);

        const { records, rejects } = await recordsForPage(items, page, { since, until }, signal);
        if (signal.aborted) return;
        const next: SoapCheckpoint = { v: 1, ...windowInfo, page: page ?? null, seen, complete: last };
        const chunks = chunk(records, config.batchSize);
        for (let i = 0; i < chunks.length; i++) {
          const final = i === chunks.length - 1;
          const batch: SourceBatch = {
            records: chunks[i] as SourceRecord[],
            ...(final && rejects.length ? { rejects } : {}),
            ...(final && warning ? { warnings: [warning] } : {}),
            // Only the page's last chunk moves the position: a crash mid-page repeats the page.
            ...(final ? { checkpoint: next as unknown as Checkpoint } : {}),
            ack: async (outcome) => {
              if (final && outcome.status === 'committed') logger.debug({ page, complete: last }, 'window position committed');
            },
          };
          yield batch;
          if (signal.aborted) return;
        }
        cp = next;
        if (last) break;
        page = (page as number) + 1;
      }
    }
  }

  return {
    async check() {
      const t = getTransport();
      const calls = [separateAuth ? undefined : loginCall, listCall, detailCall].filter((c) => c !== undefined).map((c) => ({ kind: c.kind, operation: c.request.operation, args: c.request.args }));
      // Credentials are proved by the first run, not here: a refused login should stop this
      // connector with its message, not hold up the gateway's start.
      await t.prepare(calls);
      if (separateAuth && loginCall) await getAuthTransport().prepare([{ kind: loginCall.kind, operation: loginCall.request.operation, args: loginCall.request.args }]);
    },
    read,
    async close() {
      if (closed) return;
      closed = true;
      transport?.close();
      authTransport?.close();
      http?.close();
      transport = undefined;
      authTransport = undefined;
      http = undefined;
    },
  };
}

/** A count the supplier reports (records or pages); undefined when absent or not a number. */
function countAt(result: unknown, path: string | undefined): number | undefined {
  if (path === undefined) return undefined;
  const text = scalarText(selectOne(result, path));
  return text !== undefined && text.trim() !== '' && Number.isFinite(Number(text)) ? Number(text) : undefined;
}
