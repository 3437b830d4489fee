/**
 * Cookie-session login, as older supplier web APIs do it: POST the credentials to a login endpoint,
 * keep the cookies it sets (tough-cookie applies the RFC 6265 rules: path, expiry, secure), send
 * them with every request, and log in again once when the API says the session has gone — a 401,
 * or a redirect to the login page.
 */
import http from 'node:http';
import https from 'node:https';
import axios, { type AxiosError } from 'axios';
import { CookieJar } from 'tough-cookie';
import { SourceError } from '../../../core/errors.js';
import { snippet } from '../../shared/safe-json.js';
import type { CookieSessionAuth } from './config.js';
import type { SessionAuth, SessionDeps } from './types.js';

const LOGIN_TIMEOUT_MS = 30_000;
const RETRIABLE_NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'ECONNABORTED']);

export function createCookieSession(cfg: CookieSessionAuth, deps: SessionDeps): SessionAuth {
  const { connector, origin, logger } = deps;
  const loginUrl = new URL(cfg.loginPath, origin);
  const expiredPath = cfg.expiredRedirect ? new URL(cfg.expiredRedirect, origin).pathname.toLowerCase() : undefined;
  const jar = new CookieJar();
  const agents = { httpAgent: new http.Agent({ keepAlive: false }), httpsAgent: new https.Agent({ keepAlive: false, ...(deps.ca ? { ca: deps.ca } : {}) }) };
  let loggedIn = false;
  let inFlight: Promise<void> | undefined;
  const secrets = Object.values(cfg.credentials).filter((v) => v.length >= 4);
  const clean = (text: string) => snippet(secrets.reduce((t, s) => t.split(s).join('[REDACTED]'), text));

  const fail = (message: string, code: string, retriable: boolean, extra: Record<string, string | number> = {}, cause?: unknown) =>
    new SourceError(message, { code, retriable, cause, context: { connector, operation: `POST ${loginUrl.pathname}`, url: loginUrl.href, ...extra } });

  async function post(url: URL, body: string | undefined, contentType: string | undefined, signal: AbortSignal) {
    const cookie = await jar.getCookieString(url.href);
    return axios.request<string>({
      url: url.href,
      method: 'POST',
      data: body ?? '',
      headers: { Accept: 'application/json', 'User-Agent': 'casebridge', ...(contentType ? { 'Content-Type': contentType } : {}), ...(cookie ? { Cookie: cookie } : {}) },
      maxRedirects: 0,
      maxContentLength: 1024 * 1024,
      responseType: 'text',
      transformResponse: [(d: unknown) => d],
      validateStatus: () => true,
      proxy: false,
      timeout: LOGIN_TIMEOUT_MS,
      signal: AbortSignal.any([signal, AbortSignal.timeout(LOGIN_TIMEOUT_MS)]),
      ...agents,
    });
  }

  async function keep(url: URL, setCookie: unknown) {
    const list = Array.isArray(setCookie) ? setCookie : typeof setCookie === 'string' ? [setCookie] : [];
    for (const c of list) {
      // A malformed cookie is the server's problem; ignoring it is what a browser does.
      await jar.setCookie(String(c), url.href, { ignoreError: true });
    }
  }

  async function login(signal: AbortSignal): Promise<void> {
    await jar.removeAllCookies();
    const body = cfg.format === 'json' ? JSON.stringify(cfg.credentials) : new URLSearchParams(cfg.credentials).toString();
    let res;
    try {
      res = await post(loginUrl, body, cfg.format === 'json' ? 'application/json' : 'application/x-www-form-urlencoded', signal);
    } catch (err) {
      const ax = err as AxiosError;
      const code = ax.code ?? (ax.cause as NodeJS.ErrnoException | undefined)?.code ?? '';
      const retriable = signal.aborted || RETRIABLE_NETWORK.has(code) || /socket hang up|timeout|aborted/i.test(ax.message ?? '');
      throw fail(`cannot reach the login endpoint ${loginUrl.href}: ${code ? `${code} ` : ''}${ax.message}`, retriable ? 'login_unreachable' : 'login_failed', retriable, {}, err);
    }
    const status = res.status;
    await keep(loginUrl, res.headers['set-cookie']);
    if (status === 429 || status >= 500) throw fail(`login endpoint ${loginUrl.href} answered ${status}: ${clean(String(res.data ?? ''))}`, 'login_unavailable', true, { status });
    const location = typeof res.headers['location'] === 'string' ? res.headers['location'] : '';
    const backToLogin = status >= 300 && status < 400 && isLoginPage(location);
    if (status >= 400 || backToLogin) {
      throw fail(
        `login to ${loginUrl.href} for connector ${connector} was refused (${status}${backToLogin ? ` back to ${location}` : ''}): ${clean(String(res.data ?? ''))}; check the credentials`,
        'login_failed',
        false,
        { status },
      );
    }
    const cookies = await jar.getCookies(origin);
    const ok = cfg.sessionCookie ? cookies.some((c) => c.key === cfg.sessionCookie) : cookies.length > 0;
    if (!ok) {
      throw fail(
        `login to ${loginUrl.href} for connector ${connector} answered ${status} but set no ${cfg.sessionCookie ? `"${cfg.sessionCookie}" ` : ''}session cookie${cookies.length ? ` (it set ${cookies.map((c) => c.key).join(', ')})` : ''}: ${clean(String(res.data ?? ''))}`,
        'login_failed',
        false,
        { status },
      );
    }
    logger.debug({ loginUrl: loginUrl.href }, 'logged in');
    loggedIn = true;
  }

  function isLoginPage(location: string): boolean {
    if (!location) return false;
    let path: string;
    try {
      path = new URL(location, origin).pathname.toLowerCase();
    } catch {
      return false;
    }
    return path === loginUrl.pathname.toLowerCase() || (expiredPath !== undefined && path === expiredPath);
  }

  return {
    renewal: 'a new login',
    async headers(url, signal) {
      if (!loggedIn) {
        inFlight ??= login(signal).finally(() => (inFlight = undefined));
        await inFlight;
      }
      const cookie = await jar.getCookieString(url.href);
      const out: Record<string, string> = {};
      if (cookie) out.Cookie = cookie;
      return out;
    },
    isExpired(status, headers) {
      if (status === 401 || status === 440) return true;
      return status >= 300 && status < 400 && isLoginPage(headers['location'] ?? '');
    },
    remember: (url, setCookie) => keep(url, setCookie),
    invalidate() {
      loggedIn = false;
    },
    async close() {
      if (cfg.logoutPath && loggedIn) {
        try {
          const res = await post(new URL(cfg.logoutPath, origin), undefined, undefined, AbortSignal.timeout(5000));
          logger.debug({ status: res.status }, 'logged out');
        } catch (err) {
          logger.warn({ err: { message: (err as Error).message } }, 'logout failed; the session will expire on its own');
        }
      }
      loggedIn = false;
      agents.httpAgent.destroy();
      agents.httpsAgent.destroy();
    },
  };
}
