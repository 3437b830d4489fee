/**
 * The one HTTP client every SOAP request goes through — WSDL and schema downloads, soap-package
 * calls and raw envelopes alike — so the limits hold everywhere: only allowed hosts, no redirects,
 * a whole-call deadline (a server that accepts and never answers, or trickles bytes, still ends),
 * a response size cap, and DTD / unsafe-name refusal before any XML parser runs.
 */
import http from 'node:http';
import https from 'node:https';
import axios, { type AxiosInstance, type InternalAxiosRequestConfig } from 'axios';
import { SourceError, type ErrorContext } from '../../core/errors.js';
import { assertSafeXml } from '../shared/xml-safety/index.js';

export interface GuardedHttpOptions {
  /** host or host:port entries; a bare host allows any port. */
  allowedHosts: Iterable<string>;
  timeoutMs: number;
  maxResponseBytes: number;
  headers?: Record<string, string>;
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer; passphrase?: string; rejectUnauthorized?: boolean };
  context: ErrorContext;
}

export interface GuardedHttp {
  axios: AxiosInstance;
  isAllowed(url: string): boolean;
  /** Allow one more host (the service address of a WSDL file the council wrote themselves). */
  allow(host: string): void;
  close(): void;
}

export function hostAllowed(url: URL, allowed: ReadonlySet<string>): boolean {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  const host = url.host.toLowerCase();
  const name = url.hostname.toLowerCase();
  return allowed.has(host) || allowed.has(name);
}

export function createGuardedHttp(opts: GuardedHttpOptions): GuardedHttp {
  const allowed = new Set([...opts.allowedHosts].map((h) => h.toLowerCase()));
  const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const httpsAgent = new https.Agent({
    keepAlive: true,
    maxSockets: 16,
    ca: opts.tls?.ca,
    cert: opts.tls?.cert,
    key: opts.tls?.key,
    passphrase: opts.tls?.passphrase,
    rejectUnauthorized: opts.tls?.rejectUnauthorized ?? true,
  });
  const instance = axios.create({
    timeout: opts.timeoutMs,
    maxContentLength: opts.maxResponseBytes,
    maxBodyLength: opts.maxResponseBytes,
    maxRedirects: 0,
    httpAgent,
    httpsAgent,
    headers: opts.headers,
  });

  const isAllowed = (raw: string): boolean => {
    try {
      return hostAllowed(new URL(raw), allowed);
    } catch {
      return false;
    }
  };

  instance.interceptors.request.use((config: InternalAxiosRequestConfig) => {
    const url = new URL(config.url ?? '', config.baseURL);
    if (!hostAllowed(url, allowed)) {
      throw new SourceError(`refused request to ${url.protocol}//${url.host}: only ${[...allowed].join(', ')} ${allowed.size === 1 ? 'is' : 'are'} allowed (add the host to allowHosts if it is the supplier's)`, {
        code: 'host_not_allowed',
        retriable: false,
        context: opts.context,
      });
    }
    const ms = typeof config.timeout === 'number' && config.timeout > 0 ? config.timeout : opts.timeoutMs;
    // axios' own timeout is an idle timer on the socket; a deadline bounds the whole exchange.
    const deadline = AbortSignal.timeout(ms);
    const outer = config.signal as AbortSignal | undefined;
    config.signal = outer ? AbortSignal.any([outer, deadline]) : deadline;
    (config as InternalAxiosRequestConfig & { deadlineMs?: number }).deadlineMs = ms;
    return config;
  });

  instance.interceptors.response.use((res) => {
    if (res.status >= 300 && res.status < 400) {
      throw new SourceError(`refused redirect (HTTP ${res.status}) to ${String(res.headers.location ?? '?')}: configure the final address instead`, {
        code: 'redirect_refused',
        retriable: false,
        context: { ...opts.context, status: res.status },
      });
    }
    if (Buffer.isBuffer(res.data)) res.data = res.data.toString('utf8');
    if (typeof res.data === 'string') assertSafeXml(res.data, { ...opts.context, status: res.status });
    return res;
  });

  return {
    axios: instance,
    isAllowed,
    allow(host: string) {
      allowed.add(host.toLowerCase());
    },
    close() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}
