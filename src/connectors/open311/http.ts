/**
 * GET one GeoReport document from the configured server only: a deadline, a size limit, no
 * redirects, the api_key never in a message. Failures say whether waiting will help.
 */
import http from 'node:http';
import https from 'node:https';
import axios, { AxiosError } from 'axios';
import { SourceError, type ErrorContext } from '../../core/errors.js';
import { JsonSyntaxError, parseJsonSafely, snippet } from '../shared/safe-json.js';
import { parseXmlSafely } from '../shared/xml-safety/index.js';

export interface Open311HttpOptions {
  origin: string;
  timeoutMs: number;
  maxBytes: number;
  headers: Record<string, string>;
  format: 'json' | 'xml';
  context: ErrorContext;
}

export interface Open311Http {
  /** The parsed document, or undefined for 404 when `missingOk`. */
  get(url: URL, signal: AbortSignal, opts?: { missingOk?: boolean }): Promise<unknown>;
  close(): void;
}

const RETRIABLE_NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'ECONNABORTED']);

/** The URL as it may appear in logs and errors. */
export function displayUrl(url: URL): string {
  const u = new URL(url);
  if (u.searchParams.has('api_key')) u.searchParams.set('api_key', '***');
  return u.toString();
}

export function createOpen311Http(opts: Open311HttpOptions): Open311Http {
  const agents = { httpAgent: new http.Agent({ keepAlive: true, maxSockets: 2 }), httpsAgent: new https.Agent({ keepAlive: true, maxSockets: 2 }) };
  const client = axios.create({
    ...agents,
    maxRedirects: 0,
    maxContentLength: opts.maxBytes,
    responseType: 'text',
    transformResponse: [(d: unknown) => d],
    validateStatus: () => true,
    timeout: opts.timeoutMs,
    headers: { Accept: opts.format === 'xml' ? 'application/xml, text/xml' : 'application/json', ...opts.headers },
  });

  return {
    async get(url, signal, { missingOk = false } = {}) {
      const shown = displayUrl(url);
      const context = { ...opts.context, url: shown };
      if (url.origin !== opts.origin) throw new SourceError(`refused to request ${shown}: not the configured server ${opts.origin}`, { code: 'foreign_host', context });
      let res;
      try {
        res = await client.get<string>(url.toString(), { signal });
      } catch (e) {
        const code = (e as AxiosError).code ?? '';
        if (/maxContentLength/i.test((e as Error).message)) throw new SourceError(`${shown}: response larger than maxResponseBytes (${opts.maxBytes})`, { code: 'too_large', context });
        throw new SourceError(`${shown}: ${(e as Error).message}`, { code: 'network', retriable: signal.aborted ? false : RETRIABLE_NETWORK.has(code) || code === 'ERR_CANCELED' || /timeout/i.test((e as Error).message), cause: e, context });
      }
      const body = typeof res.data === 'string' ? res.data : String(res.data ?? '');
      if (res.status === 404 && missingOk) return undefined;
      if (res.status === 429 || res.status >= 500) throw new SourceError(`${shown}: HTTP ${res.status} ${snippet(body)}`, { code: `http_${res.status}`, retriable: true, context });
      if (res.status === 401 || res.status === 403) throw new SourceError(`${shown}: HTTP ${res.status}: the server refused the api_key or jurisdiction_id (${snippet(body)})`, { code: 'auth', context });
      if (res.status >= 300 && res.status < 400) throw new SourceError(`${shown}: HTTP ${res.status} redirect to ${String(res.headers.location)} refused; set endpoint to the final address`, { code: 'redirect', context });
      if (res.status !== 200) throw new SourceError(`${shown}: HTTP ${res.status}: ${snippet(body)}`, { code: `http_${res.status}`, context });
      if (opts.format === 'xml' || /^\s*</.test(body)) return parseXmlSafely(body, { alwaysArray: new Set(['request', 'request_update']) }, context);
      try {
        return parseJsonSafely(body).value;
      } catch (e) {
        if (e instanceof JsonSyntaxError) throw new SourceError(`${shown}: not JSON (${e.message}): ${snippet(body)}`, { code: 'bad_json', context });
        throw e;
      }
    },
    close() {
      agents.httpAgent.destroy();
      agents.httpsAgent.destroy();
    },
  };
}
