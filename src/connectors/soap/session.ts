/**
 * Calls with a session: log in when there is no token or it has outlived its ttl (one login at a
 * time, however many detail calls wait for it), and renew an expired token once, repeating the
 * call. A login refused in the body is a credentials problem unless the supplier says "try later".
 */
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import { SourceError, type CasebridgeError, type ErrorContext } from '../../core/errors.js';
import type { ErrorRules } from './config.js';
import { inBodyError, SessionExpiredError, toSourceError } from './errors.js';
import { scalarText, selectOne } from './path.js';
import { MissingTemplateValue, type TemplateVars } from './template.js';
import type { SoapTransport } from './transport.js';
import type { PreparedCall } from './calls.js';

export interface SessionOptions {
  /** The login call and where its answer holds the token; absent when the supplier has no sessions. */
  login?: { call: PreparedCall; tokenPath: string; ttlMs?: number | undefined } | undefined;
  transport(): SoapTransport;
  /** Where the login call goes when it is not `transport` (a separate authentication service). */
  loginTransport?: () => SoapTransport;
  rules: ErrorRules;
  baseContext: ErrorContext;
  timeoutMs: number;
  maxResponseBytes: number;
  clock: Clock;
  logger: Logger;
}

export interface SoapSession {
  /** One call: the supplier's answer, or a classified error (in-body errors included). */
  invoke(call: PreparedCall, vars: TemplateVars, signal: AbortSignal, ctx: ErrorContext): Promise<unknown>;
}

export function createSession(opts: SessionOptions): SoapSession {
  const { login, rules, clock, logger } = opts;
  let token: string | undefined;
  let tokenAt = 0;
  let tokenPending: Promise<string> | undefined;

  const classify = (e: unknown, ctx: ErrorContext, signal: AbortSignal): CasebridgeError =>
    toSourceError(e, rules, ctx, { timeoutMs: opts.timeoutMs, maxResponseBytes: opts.maxResponseBytes, shutdown: signal });

  const logIn = async (signal: AbortSignal): Promise<string> => {
    const { call, tokenPath } = login!;
    const ctx = { ...opts.baseContext, operation: call.request.operation };
    let result: unknown;
    try {
      result = await (opts.loginTransport ?? opts.transport)().invoke(call.request, {}, signal, ctx);
    } catch (e) {
      throw classify(e, ctx, signal);
    }
    const err = inBodyError(result, rules, ctx);
    if (err) throw err.retriable ? err : new SourceError(`login refused: ${err.message}`, { code: 'auth', retriable: false, context: err.context });
    const value = scalarText(selectOne(result, tokenPath));
    if (!value) throw new SourceError(`login returned no token at ${tokenPath}`, { code: 'auth', retriable: false, context: ctx });
    logger.debug({ operation: call.request.operation }, 'logged in; new session token');
    return value;
  };

  const currentToken = async (signal: AbortSignal): Promise<string | undefined> => {
    if (!login) return undefined;
    const fresh = token !== undefined && (login.ttlMs === undefined || clock.now().getTime() - tokenAt < login.ttlMs);
    if (fresh) return token;
    tokenPending ??= logIn(signal)
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

  return {
    async invoke(call, vars, signal, ctx) {
      for (let attempt = 0; ; attempt++) {
        const used = await currentToken(signal);
        const started = Date.now();
        try {
          const result = await opts.transport().invoke(call.request, { ...vars, ...(used !== undefined ? { token: used } : {}) }, signal, ctx);
          const err = inBodyError(result, rules, ctx);
          if (err) throw err;
          logger.debug({ operation: call.request.operation, page: ctx.page, ms: Date.now() - started }, 'soap call ok');
          return result;
        } catch (e) {
          if (e instanceof MissingTemplateValue) throw e;
          const err = classify(e, ctx, signal);
          if (err instanceof SessionExpiredError && login && attempt === 0) {
            logger.info({ operation: call.request.operation }, 'session token expired; logging in again');
            if (token === used) token = undefined;
            continue;
          }
          throw err;
        }
      }
    },
  };
}
