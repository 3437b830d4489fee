/**
 * GET (or POST) JSON from one supplier host, defensively: a whole-request deadline, a response size limit
 * (after decompression), no redirect to another host, no request to any host but the configured
 * one, credentials only ever sent there. HTTP and network failures become SourceErrors that say
 * whether waiting will help.
 */
import http from 'node:http';
import https from 'node:https';
import axios, { AxiosError, type AxiosResponse } from 'axios';
import type { Logger } from '../../core/logger.js';
import type { Clock } from '../../core/clock.js';
import { systemClock } from '../../core/clock.js';
import { createSessionAuth } from './auth/session.js';
import { SourceError } from '../../core/errors.js';
import type { RestAuth } from './config.js';
import { JsonSyntaxError, parseJsonSafely, snippet } from '../shared/safe-json.js';

export interface RestHttpOptions {
  connector: string;
  /** Origin (scheme://host:port) every request must go to. */
  origin: string;
  auth: RestAuth;
  headers: Record<string, string>;
  timeoutMs: number;
  maxBytes: number;
  redirects: 'refuse' | 'same-host';
  retryAfterMaxMs: number;
  ca?: string;
  logger: Logger;
  clock?: Clock;
}

/** One request: a GET, or a POST with a body already serialised. */
export interface RestRequest {
  url: URL;
  method: 'GET' | 'POST';
  body?: string;
  contentType?: string;
}

export interface JsonResponse {
  status: number;
  /** The URL that answered (after same-host redirects). */
  url: URL;
  body: unknown;
  headers: Record<string, string>;
  bytes: number;
}

export interface RestHttp {
  getJson(url: URL, signal: AbortSignal): Promise<JsonResponse>;
  send(req: RestRequest, signal: AbortSignal): Promise<JsonResponse>;
  /** The URL as it may appear in logs, errors and positions: no credentials in it. */
  display(url: URL): string;
  close(): Promise<void>;
}

const RETRIABLE_NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'ECONNABORTED', 'ERR_SOCKET_CONNECTION_TIMEOUT']);
const MAX_REDIRECTS = 5;
const IN_RUN_RETRIES = 2;

export function createRestHttp(opts: RestHttpOptions): RestHttp {
  const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 4, ...(opts.ca ? { ca: opts.ca } : {}) });
  const client = axios.create({
    maxRedirects: 0,
    maxContentLength: opts.maxBytes,
    maxBodyLength: 64 * 1024,
    responseType: 'text',
    // Parse ourselves: axios's JSON parse would keep __proto__ keys and hide syntax errors.
    transformResponse: [(d: unknown) => d],
    validateStatus: () => true,
    decompress: true,
    proxy: false,
    httpAgent,
    httpsAgent,
  });
  const session = createSessionAuth(opts.auth, { connector: opts.connector, origin: opts.origin, clock: opts.clock ?? systemClock, logger: opts.logger, ...(opts.ca ? { ca: opts.ca } : {}) });
  const apiKeyQuery = opts.auth.type === 'api-key' && opts.auth.in === 'query' ? opts.auth.name : undefined;

  const display = (url: URL): string => {
    if (!apiKeyQuery || !url.searchParams.has(apiKeyQuery)) return url.href;
    const copy = new URL(url.href);
    copy.searchParams.set(apiKeyQuery, '[REDACTED]');
    return copy.href;
  };

  const authHeaders = (): Record<string, string> => {
    const a = opts.auth;
    if (a.type === 'bearer') return { Authorization: `Bearer ${a.token}` };
    if (a.type === 'basic') return { Authorization: `Basic ${Buffer.from(`${a.username}:${a.password}`).toString('base64')}` };
    if (a.type === 'api-key' && a.in === 'header') return { [a.name]: a.value };
    return {};
  };

  const errorFor = (method: RestRequest['method']) => (message: string, code: string, retriable: boolean, url: URL, extra: Record<string, string | number> = {}, cause?: unknown) =>
    new SourceError(message, { code, retriable, cause, context: { connector: opts.connector, operation: `${method} ${url.pathname}`, url: display(url), ...extra } });

  async function once(req: RestRequest, url: URL, signal: AbortSignal): Promise<AxiosResponse<string>> {
    const error = errorFor(req.method);
    if (url.origin !== opts.origin) {
      throw error(`refusing to request ${display(url)}: only ${opts.origin} is allowed for this connector`, 'foreign_host', false, url);
    }
    const target = new URL(url.href);
    if (opts.auth.type === 'api-key' && opts.auth.in === 'query') target.searchParams.set(opts.auth.name, opts.auth.value);
    const sessionHeaders = session ? await session.headers(url, signal) : {};
    const deadline = AbortSignal.timeout(opts.timeoutMs);
    try {
      return await client.request<string>({
        url: target.href,
        method: req.method,
        ...(req.body !== undefined ? { data: req.body } : {}),
        headers: {
          Accept: 'application/json',
          'User-Agent': 'casebridge',
          ...(req.contentType ? { 'Content-Type': req.contentType } : {}),
          ...opts.headers,
          ...authHeaders(),
          ...sessionHeaders,
        },
        timeout: opts.timeoutMs,
        signal: AbortSignal.any([signal, deadline]),
      });
    } catch (err) {
      if (signal.aborted) throw error(`request to ${display(url)} aborted: connector stopping`, 'aborted', true, url, {}, err);
      const ax = err as AxiosError;
      if (deadline.aborted || ax.code === 'ECONNABORTED' || ax.code === 'ETIMEDOUT') {
        throw error(`no complete response from ${display(url)} within ${opts.timeoutMs} ms (timeout)`, 'timeout', true, url, {}, err);
      }
      if (typeof ax.message === 'string' && ax.message.startsWith('maxContentLength')) {
        throw error(
          `response from ${display(url)} is larger than maxResponseBytes (${opts.maxBytes} bytes); lower the page size or raise maxResponseBytes`,
          'response_too_large',
          false,
          url,
          { limitBytes: opts.maxBytes },
          err,
        );
      }
      const code = ax.code ?? (ax.cause as NodeJS.ErrnoException | undefined)?.code ?? '';
      const retriable = RETRIABLE_NETWORK.has(code) || /socket hang up|stream has been aborted/i.test(ax.message ?? '');
      throw error(`cannot read ${display(url)}: ${code ? `${code} ` : ''}${ax.message}`, retriable ? 'network' : 'request_failed', retriable, url, {}, err);
    }
  }

  async function send(req: RestRequest, signal: AbortSignal): Promise<JsonResponse> {
    let url = req.url;
    let redirects = 0;
    let retries = 0;
    let renewed = false;
    const error = errorFor(req.method);
    for (;;) {
      const res = await once(req, url, signal);
      const status = res.status;
      const headers = flatHeaders(res.headers as Record<string, unknown>);
      if (session?.remember) {
        const set = (res.headers as Record<string, unknown>)['set-cookie'];
        if (Array.isArray(set) && set.length) await session.remember(url, set.map(String));
      }

      if (session?.isExpired(status, headers, url)) {
        // Renew once per request: an API that refuses a token it has just been given would
        // otherwise have us asking for tokens for ever.
        if (renewed) {
          throw error(
            `${display(url)} answered ${status} again straight after ${session.renewal}: the credentials are accepted for login but not for this API (permissions, scope or licence?): ${snippet(String(res.data ?? ''))}`,
            'auth_rejected',
            false,
            url,
            { status },
          );
        }
        renewed = true;
        opts.logger.info({ url: display(url), status }, `session no longer accepted; renewing with ${session.renewal} and repeating the request`);
        session.invalidate();
        url = req.url;
        continue;
      }

      if (status >= 300 && status < 400) {
        const location = headers['location'];
        const next = location ? safeUrl(location, url) : undefined;
        if (opts.redirects === 'same-host' && next && next.origin === opts.origin && redirects < MAX_REDIRECTS) {
          redirects++;
          url = next;
          continue;
        }
        const where = next ? (next.origin === opts.origin ? display(next) : `another host (${next.origin})`) : 'nowhere (no Location header)';
        throw error(
          opts.redirects === 'refuse' || !next || next.origin === opts.origin
            ? `${display(url)} answered ${status} redirecting to ${where}; redirects are not followed — configure the final URL`
            : `${display(url)} answered ${status} redirecting to ${where}; requests go to ${opts.origin} only`,
          'redirect_refused',
          false,
          url,
          { status },
        );
      }

      if (status === 429 || status >= 500) {
        const retryAfterMs = parseRetryAfter(headers['retry-after']);
        if ((status === 429 || status === 503) && retryAfterMs !== undefined && retryAfterMs <= opts.retryAfterMaxMs && retries < IN_RUN_RETRIES) {
          retries++;
          opts.logger.warn({ url: display(url), status, retryAfterMs }, 'supplier asked us to wait; retrying in this run');
          await sleep(retryAfterMs, signal);
          continue;
        }
        throw error(
          `${display(url)} answered ${status}${retryAfterMs !== undefined ? ` (Retry-After ${Math.round(retryAfterMs / 1000)} s)` : ''}: ${snippet(String(res.data ?? ''))}`,
          `http_${status}`,
          true,
          url,
          { status, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) },
        );
      }
      if (status < 200 || status >= 300) {
        throw error(`${display(url)} answered ${status} ${res.statusText ?? ''}: ${snippet(String(res.data ?? ''))}`.trim(), `http_${status}`, false, url, { status });
      }

      const text = String(res.data ?? '');
      const type = headers['content-type'] ?? '';
      if (type && !/json/i.test(type)) {
        throw error(`${display(url)} answered ${type} where JSON was expected: ${snippet(text)}`, 'not_json', false, url, { status });
      }
      try {
        const parsed = parseJsonSafely(text);
        if (parsed.droppedKeys) {
          opts.logger.warn({ url: display(url), droppedKeys: parsed.droppedKeys }, 'dropped __proto__ keys from a supplier response');
        }
        return { status, url, body: parsed.value, headers, bytes: Buffer.byteLength(text) };
      } catch (err) {
        if (!(err instanceof JsonSyntaxError)) throw err;
        throw error(`${display(url)} answered with invalid JSON (${err.message}): ${snippet(text)}`, 'bad_json', false, url, { status }, err);
      }
    }
  }

  return {
    getJson: (url, signal) => send({ url, method: 'GET' }, signal),
    send,
    display,
    async close() {
      await session?.close();
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}

function flatHeaders(h: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h ?? {})) if (v !== undefined && v !== null) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v);
  return out;
}

function safeUrl(text: string, base: URL): URL | undefined {
  try {
    return new URL(text, base);
  } catch {
    return undefined;
  }
}

/** Retry-After is seconds or an HTTP date. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
