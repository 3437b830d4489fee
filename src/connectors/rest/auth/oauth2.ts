/**
 * OAuth2 client credentials (RFC 6749 §4.4): a bearer token from the token endpoint, cached until
 * shortly before it expires, renewed once when the API answers 401. A client the endpoint rejects
 * (revoked, wrong secret) stops the connector with a message naming the connector and the token URL
 * — waiting will not fix it; an endpoint that is down or overloaded is retried by the backoff.
 */
import https from 'node:https';
import axios, { type AxiosError } from 'axios';
import { SourceError } from '../../../core/errors.js';
import { durationMs } from '../../../core/units.js';
import { JsonSyntaxError, parseJsonSafely, snippet } from '../../shared/safe-json.js';
import type { OAuth2ClientCredentials } from './config.js';
import type { SessionAuth, SessionDeps } from './types.js';

/** A token response is a few hundred bytes; anything near this is not a token response. */
const MAX_TOKEN_RESPONSE = 64 * 1024;
/**
 * Visible ASCII only, bounded: safe in a header. Wider than RFC 6750's b64token because real
 * issuers go beyond it (Salesforce session ids contain "!").
 */
const TOKEN_SHAPE = /^[\x21-\x7E]+$/;
const MAX_TOKEN_LENGTH = 16 * 1024;
const REJECTED_CLIENT = new Set(['invalid_client', 'unauthorized_client', 'invalid_grant', 'access_denied', 'unauthorized']);
const RETRIABLE_NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'ECONNABORTED']);

interface Token {
  value: string;
  /** Epoch ms after which the token is not used; undefined when the endpoint gave no lifetime. */
  renewAt?: number;
}

export function createOAuth2ClientCredentials(cfg: OAuth2ClientCredentials, deps: SessionDeps): SessionAuth {
  const { connector, clock, logger } = deps;
  const tokenUrl = new URL(cfg.tokenUrl);
  const shownUrl = `${tokenUrl.origin}${tokenUrl.pathname}`;
  const timeoutMs = durationMs(cfg.timeout);
  const beforeMs = durationMs(cfg.refreshBefore);
  const httpsAgent = deps.ca ? new https.Agent({ ca: deps.ca }) : undefined;
  let token: Token | undefined;
  let inFlight: Promise<Token> | undefined;

  const fail = (message: string, code: string, retriable: boolean, extra: Record<string, string | number> = {}, cause?: unknown) =>
    new SourceError(message, { code, retriable, cause, context: { connector, operation: 'oauth2 token', tokenUrl: shownUrl, ...extra } });
  // Endpoints have been seen echoing the request back in an error page.
  const clean = (text: string) => snippet(text.split(cfg.clientSecret).join('[REDACTED]'));

  async function fetchToken(signal: AbortSignal): Promise<Token> {
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (cfg.clientAuth === 'body') {
      form.set('client_id', cfg.clientId);
      form.set('client_secret', cfg.clientSecret);
    }
    if (cfg.scope) form.set('scope', cfg.scope);
    if (cfg.audience) form.set('audience', cfg.audience);
    for (const [k, v] of Object.entries(cfg.params)) form.set(k, v);
    const headers: Record<string, string> = { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json', 'User-Agent': 'casebridge' };
    if (cfg.clientAuth === 'basic') {
      // RFC 6749 §2.3.1: each part form-encoded before joining.
      headers.Authorization = `Basic ${Buffer.from(`${encodeURIComponent(cfg.clientId)}:${encodeURIComponent(cfg.clientSecret)}`).toString('base64')}`;
    }
    const deadline = AbortSignal.timeout(timeoutMs);
    let res;
    try {
      res = await axios.request<string>({
        url: tokenUrl.href,
        method: 'POST',
        data: form.toString(),
        headers,
        maxRedirects: 0,
        maxContentLength: MAX_TOKEN_RESPONSE,
        responseType: 'text',
        transformResponse: [(d: unknown) => d],
        validateStatus: () => true,
        proxy: false,
        timeout: timeoutMs,
        signal: AbortSignal.any([signal, deadline]),
        ...(httpsAgent ? { httpsAgent } : {}),
      });
    } catch (err) {
      const ax = err as AxiosError;
      if (signal.aborted) throw fail(`token request to ${shownUrl} aborted: connector stopping`, 'aborted', true, {}, err);
      if (typeof ax.message === 'string' && ax.message.startsWith('maxContentLength')) {
        throw fail(`token endpoint ${shownUrl} answered more than ${MAX_TOKEN_RESPONSE} bytes; that is not a token response — check tokenUrl`, 'oauth2_bad_response', false, {}, err);
      }
      const code = ax.code ?? (ax.cause as NodeJS.ErrnoException | undefined)?.code ?? '';
      const timedOut = deadline.aborted || code === 'ECONNABORTED' || code === 'ETIMEDOUT';
      const retriable = timedOut || RETRIABLE_NETWORK.has(code) || /socket hang up/i.test(ax.message ?? '');
      throw fail(
        timedOut ? `token endpoint ${shownUrl} did not answer within ${timeoutMs} ms` : `cannot reach token endpoint ${shownUrl}: ${code ? `${code} ` : ''}${ax.message}`,
        retriable ? 'oauth2_unreachable' : 'oauth2_request_failed',
        retriable,
        {},
        err,
      );
    }
    const text = String(res.data ?? '');
    const status = res.status;
    let body: Record<string, unknown> | undefined;
    try {
      const v = parseJsonSafely(text).value;
      if (v && typeof v === 'object' && !Array.isArray(v)) body = v as Record<string, unknown>;
    } catch (err) {
      if (!(err instanceof JsonSyntaxError)) throw err;
    }
    const oauthError = typeof body?.error === 'string' ? body.error : undefined;
    const description = typeof body?.error_description === 'string' ? ` (${clean(body.error_description)})` : '';

    if (status === 429 || status >= 500) {
      throw fail(`token endpoint ${shownUrl} answered ${status}${oauthError ? ` ${oauthError}` : ''}: ${clean(text)}`, 'oauth2_unavailable', true, { status });
    }
    if (status === 401 || (oauthError && REJECTED_CLIENT.has(oauthError))) {
      throw fail(
        `token endpoint ${shownUrl} rejected client "${cfg.clientId}" of connector ${connector}: ${oauthError ?? `HTTP ${status}`}${description}. ` +
          'The client secret may be wrong, expired or revoked: check clientId and clientSecret with the supplier; retrying will not help',
        'oauth2_client_rejected',
        false,
        { status },
      );
    }
    if (status < 200 || status >= 300) {
      throw fail(
        `token endpoint ${shownUrl} refused the token request of connector ${connector}: ${status}${oauthError ? ` ${oauthError}${description}` : `: ${clean(text)}`}${oauthError === 'invalid_scope' ? '; check scope' : ''}`,
        'oauth2_request_rejected',
        false,
        { status },
      );
    }
    const value = body?.access_token;
    if (!body || typeof value !== 'string' || value.length === 0) {
      throw fail(`token endpoint ${shownUrl} answered ${status} without an access_token: ${body ? `keys ${Object.keys(body).slice(0, 10).join(', ')}` : clean(text)}`, 'oauth2_bad_response', false, { status });
    }
    if (value.length > MAX_TOKEN_LENGTH || !TOKEN_SHAPE.test(value)) {
      throw fail(`token endpoint ${shownUrl} answered an access_token that cannot be a bearer token (${value.length} characters${value.length > MAX_TOKEN_LENGTH ? '' : ', with spaces or control characters'})`, 'oauth2_bad_response', false, { status });
    }
    const type = body.token_type;
    if (typeof type === 'string' && type.toLowerCase() !== 'bearer') {
      throw fail(`token endpoint ${shownUrl} issued a "${snippet(type, 40)}" token; only bearer tokens are supported`, 'oauth2_bad_response', false, { status });
    }
    const lifetimeS = Number(body.expires_in);
    const now = clock.now().getTime();
    if (body.expires_in === undefined || !Number.isFinite(lifetimeS) || lifetimeS <= 0) {
      // Salesforce, for one, gives no lifetime: the session policy decides, and a 401 says when.
      logger.debug({ tokenUrl: shownUrl }, 'token response has no usable expires_in; renewing when the API answers 401');
      return { value };
    }
    const lifetimeMs = Math.min(lifetimeS, 366 * 86_400) * 1000;
    return { value, renewAt: now + lifetimeMs - Math.min(beforeMs, lifetimeMs / 2) };
  }

  return {
    renewal: 'a fresh token',
    async headers(_url, signal) {
      if (!token || (token.renewAt !== undefined && clock.now().getTime() >= token.renewAt)) {
        if (token) logger.debug({ tokenUrl: shownUrl }, 'access token about to expire; fetching a new one');
        token = undefined;
        // One token request at a time, however many requests want one.
        inFlight ??= fetchToken(signal).finally(() => (inFlight = undefined));
        token = await inFlight;
      }
      return { Authorization: `Bearer ${token.value}` };
    },
    isExpired: (status) => status === 401,
    invalidate() {
      token = undefined;
    },
    async close() {
      token = undefined;
      httpsAgent?.destroy();
    },
  };
}
