/**
 * Proving a notification comes from the supplier: HMAC signatures over the raw body (optionally
 * with a signed timestamp against replays), HTTP Basic, WS-Security UsernameToken. Every
 * comparison is constant-time; failures say what was wrong without echoing any secret.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { durationMs } from '../../core/units.js';
import type { BasicAuth, HmacAuth, WsSecurityAuth } from './config.js';

export type AuthResult = { ok: true } | { ok: false; reason: string };

/** Equal-time comparison of two strings of any length (hashing first equalises the lengths). */
export function safeEqual(a: string | Buffer, b: string | Buffer): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb) && Buffer.byteLength(a) === Buffer.byteLength(b);
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

export function verifyHmac(auth: HmacAuth, headers: IncomingHttpHeaders, body: Buffer, now: Date): AuthResult {
  const given = header(headers, auth.header);
  if (!given) return { ok: false, reason: `missing ${auth.header} header` };
  let payload: Buffer = body;
  if (auth.timestamp) {
    const ts = header(headers, auth.timestamp.header);
    if (!ts) return { ok: false, reason: `missing ${auth.timestamp.header} header` };
    const at = auth.timestamp.format === 'epoch' ? Number(ts) * 1000 : auth.timestamp.format === 'epoch-ms' ? Number(ts) : Date.parse(ts);
    if (!Number.isFinite(at)) return { ok: false, reason: `${auth.timestamp.header} is not a ${auth.timestamp.format} time` };
    if (Math.abs(now.getTime() - at) > durationMs(auth.timestamp.tolerance)) {
      return { ok: false, reason: `${auth.timestamp.header} is outside the ${auth.timestamp.tolerance} tolerance (replayed or clock skew)` };
    }
    const [before, after] = splitOnce(auth.timestamp.signedPayload, '{body}');
    payload = Buffer.concat([Buffer.from(before.replaceAll('{timestamp}', ts)), body, Buffer.from(after.replaceAll('{timestamp}', ts))]);
  }
  let text = given.trim();
  if (auth.prefix) {
    if (!text.startsWith(auth.prefix)) return { ok: false, reason: `${auth.header} does not start with "${auth.prefix}"` };
    text = text.slice(auth.prefix.length);
  }
  const expected = createHmac(auth.algorithm, auth.secret).update(payload).digest();
  const provided = auth.encoding === 'hex' ? (/^[0-9a-f]+$/i.test(text) ? Buffer.from(text, 'hex') : Buffer.alloc(0)) : Buffer.from(text, 'base64');
  if (provided.length !== expected.length || !timingSafeEqual(provided, expected)) return { ok: false, reason: 'signature does not match' };
  return { ok: true };
}

function splitOnce(s: string, sep: string): [string, string] {
  const i = s.indexOf(sep);
  return [s.slice(0, i), s.slice(i + sep.length)];
}

export function verifyBasic(auth: BasicAuth, headers: IncomingHttpHeaders): AuthResult {
  const h = header(headers, 'authorization');
  if (!h || !/^basic\s+/i.test(h)) return { ok: false, reason: 'missing Basic credentials' };
  const decoded = Buffer.from(h.replace(/^basic\s+/i, ''), 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 0) return { ok: false, reason: 'malformed Basic credentials' };
  // Both compared, always, so the time taken does not say which one was wrong.
  const userOk = safeEqual(decoded.slice(0, i), auth.username);
  const passOk = safeEqual(decoded.slice(i + 1), auth.password);
  return userOk && passOk ? { ok: true } : { ok: false, reason: 'wrong username or password' };
}

const PASSWORD_DIGEST = /#PasswordDigest$/;

/** `security` is the parsed wsse:Security header as node-soap hands it to `authenticate`. */
export function verifyWsSecurity(auth: WsSecurityAuth, security: unknown, now: Date): AuthResult {
  const token = (security as { UsernameToken?: Record<string, unknown> } | undefined)?.UsernameToken;
  if (!token || typeof token !== 'object') return { ok: false, reason: 'missing WS-Security UsernameToken' };
  const username = textOf(token.Username);
  const passwordEl = token.Password;
  const password = textOf(passwordEl);
  const type = attr(passwordEl, 'Type') ?? '';
  if (username === undefined || password === undefined) return { ok: false, reason: 'UsernameToken without Username or Password' };
  const userOk = safeEqual(username, auth.username);
  if (PASSWORD_DIGEST.test(type)) {
    const nonce = textOf(token.Nonce) ?? '';
    const created = textOf(token.Created) ?? '';
    const at = Date.parse(created);
    if (!Number.isFinite(at) || Math.abs(now.getTime() - at) > durationMs(auth.tolerance)) return { ok: false, reason: 'UsernameToken Created time missing or outside tolerance' };
    const digest = createHash('sha1')
      .update(Buffer.concat([Buffer.from(nonce, 'base64'), Buffer.from(created, 'utf8'), Buffer.from(auth.password, 'utf8')]))
      .digest('base64');
    return userOk && safeEqual(password, digest) ? { ok: true } : { ok: false, reason: 'wrong username or password digest' };
  }
  const passOk = safeEqual(password, auth.password);
  return userOk && passOk ? { ok: true } : { ok: false, reason: 'wrong username or password' };
}

function textOf(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  if (v && typeof v === 'object' && '$value' in v) return String((v as { $value: unknown }).$value);
  return undefined;
}

function attr(v: unknown, name: string): string | undefined {
  if (!v || typeof v !== 'object') return undefined;
  for (const key of ['$attributes', 'attributes']) {
    const a = (v as Record<string, unknown>)[key];
    if (a && typeof a === 'object' && typeof (a as Record<string, unknown>)[name] === 'string') return (a as Record<string, string>)[name];
  }
  return undefined;
}
