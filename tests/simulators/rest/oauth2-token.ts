/**
 * An OAuth2 client-credentials token endpoint (RFC 6749 §4.4) with the habits of the two that
 * councils meet: Microsoft Entra ID (Azure AD) in front of Dynamics 365 — expires_in 3599, AADSTS
 * error descriptions, 401 invalid_client for a bad or expired secret — and Salesforce — no
 * expires_in at all (the org's session policy decides), 400 invalid_client. Tokens can be revoked
 * or expired from the test, server side, as an admin would.
 */
import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import { sendJson, type SimRequest } from './kit.js';

export interface TokenIssuerOptions {
  flavour: 'entra' | 'salesforce';
  clients: Record<string, string>;
  /** Scope the client must ask for (Entra: `<resource>/.default`). */
  scope?: string;
  /** expires_in in seconds (Entra default 3599); ignored for salesforce, which sends none. */
  lifetimeS?: number;
}

export interface TokenIssuer {
  handle(req: SimRequest, res: http.ServerResponse): void;
  /** Whether an Authorization header carries a live token. */
  accepts(authorization: string | undefined): boolean;
  /** The client's secret is revoked: token requests fail, its live tokens stop working. */
  revoke(clientId: string): void;
  /** Every token issued so far stops working (session timeout, key rollover). */
  expireAll(): void;
  issued: { clientId: string; token: string; scope?: string }[];
}

export function createTokenIssuer(opts: TokenIssuerOptions): TokenIssuer {
  const live = new Map<string, string>();
  const revoked = new Set<string>();
  const issued: TokenIssuer['issued'] = [];

  const entraError = (res: http.ServerResponse, status: number, error: string, code: number, text: string) =>
    sendJson(res, status, {
      error,
      error_description: `AADSTS${code}: ${text}\r\nTrace ID: ${randomBytes(8).toString('hex')}\r\nCorrelation ID: ${randomBytes(8).toString('hex')}\r\nTimestamp: ${new Date().toISOString()}`,
      error_codes: [code],
      timestamp: new Date().toISOString(),
      trace_id: randomBytes(8).toString('hex'),
    });

  return {
    issued,
    handle(req, res) {
      if (req.method !== 'POST') return sendJson(res, 405, { error: 'invalid_request' });
      const form = new URLSearchParams(req.body);
      let clientId = form.get('client_id') ?? '';
      let secret = form.get('client_secret') ?? '';
      const basic = /^Basic (.+)$/i.exec(String(req.headers.authorization ?? ''));
      if (basic) {
        const [id, sec] = Buffer.from(basic[1]!, 'base64').toString('utf8').split(':');
        clientId = decodeURIComponent(id ?? '');
        secret = decodeURIComponent(sec ?? '');
      }
      if (form.get('grant_type') !== 'client_credentials') {
        return opts.flavour === 'entra'
          ? entraError(res, 400, 'unsupported_grant_type', 70003, 'The app requested an unsupported grant type.')
          : sendJson(res, 400, { error: 'unsupported_grant_type', error_description: 'grant type not supported' });
      }
      const known = Object.prototype.hasOwnProperty.call(opts.clients, clientId);
      if (!known || opts.clients[clientId] !== secret || revoked.has(clientId)) {
        return opts.flavour === 'entra'
          ? entraError(res, 401, 'invalid_client', 7000215, "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '" + clientId + "'.")
          : sendJson(res, 400, { error: 'invalid_client', error_description: 'invalid client credentials' });
      }
      const scope = form.get('scope') ?? undefined;
      if (opts.scope && scope !== opts.scope) {
        return entraError(res, 400, 'invalid_scope', 1002012, `The provided value for scope ${scope ?? '(none)'} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier.`);
      }
      const token = opts.flavour === 'salesforce' ? `00D${randomBytes(6).toString('hex')}!AQ${randomBytes(24).toString('base64url')}` : `eyJ0eXAiOiJKV1Qi.${randomBytes(48).toString('base64url')}.${randomBytes(32).toString('base64url')}`;
      live.set(token, clientId);
      issued.push({ clientId, token, ...(scope ? { scope } : {}) });
      if (opts.flavour === 'salesforce') {
        return sendJson(res, 200, {
          access_token: token,
          signature: randomBytes(32).toString('base64'),
          scope: 'api',
          instance_url: `http://${req.headers.host}`,
          id: `http://${req.headers.host}/id/00D000000000001EAA/005000000000001AAA`,
          token_type: 'Bearer',
          issued_at: String(Date.now()),
        });
      }
      return sendJson(res, 200, { token_type: 'Bearer', expires_in: opts.lifetimeS ?? 3599, ext_expires_in: opts.lifetimeS ?? 3599, access_token: token });
    },
    accepts(authorization) {
      const m = /^Bearer (.+)$/.exec(authorization ?? '');
      if (!m) return false;
      const client = live.get(m[1]!);
      return client !== undefined && !revoked.has(client);
    },
    revoke(clientId) {
      revoked.add(clientId);
    },
    expireAll() {
      live.clear();
    },
  };
}
