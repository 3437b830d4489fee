/**
 * Turning everything a SOAP call can do wrong into one typed SourceError: network failures,
 * deadlines, oversize bodies, HTTP statuses, SOAP faults (1.1 and 1.2) and the in-body `Errors`
 * element many council systems use instead of faults. Retriable only when the code knows it is:
 * network trouble, timeouts, 5xx/408/429 without a fault, and codes listed in `errors.retriable`.
 */
import { AxiosError } from 'axios';
import { CasebridgeError, SourceError, type ErrorContext } from '../../core/errors.js';
import type { ErrorRules } from './config.js';
import { scalarText, selectOne } from './path.js';

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'ECONNABORTED', 'ERR_SOCKET_CONNECTION_TIMEOUT']);

export class SessionExpiredError extends SourceError {
  constructor(message: string, context: ErrorContext) {
    super(message, { code: 'session_expired', retriable: true, context });
  }
}

export interface Fault {
  code: string;
  message: string;
}

/** Fault code without its namespace prefix too, so `soap:Server` and `Server` both match. */
export function codeVariants(code: string): string[] {
  const local = code.includes(':') ? code.slice(code.lastIndexOf(':') + 1) : code;
  return local === code ? [code] : [code, local];
}

export function faultFromEnvelopeBody(body: unknown): Fault | undefined {
  const fault = selectOne(body, 'Fault');
  if (!fault || typeof fault !== 'object') return undefined;
  const code =
    scalarText(selectOne(fault, 'faultcode')) ??
    [scalarText(selectOne(fault, 'Code.Value')), scalarText(selectOne(fault, 'Code.Subcode.Value'))].filter(Boolean).join(': ') ??
    'Fault';
  const message = scalarText(selectOne(fault, 'faultstring')) ?? scalarText(selectOne(fault, 'Reason.Text')) ?? 'SOAP fault';
  return { code: code || 'Fault', message };
}

export function faultError(fault: Fault, rules: ErrorRules, context: ErrorContext, status?: number): SourceError {
  const variants = [...codeVariants(fault.code), ...fault.code.split(': ').flatMap(codeVariants)];
  const msg = `SOAP fault ${fault.code}: ${fault.message}`;
  const ctx = { ...context, faultCode: fault.code, ...(status ? { status } : {}) };
  if (variants.some((v) => rules.sessionExpired.includes(v))) return new SessionExpiredError(`session expired (${msg})`, ctx);
  return new SourceError(msg, { code: 'soap_fault', retriable: variants.some((v) => rules.retriable.includes(v)), context: ctx });
}

/**
 * The in-body error convention: a code (and message) at configured paths; anything not listed as
 * success is an error. Absent code = success.
 */
export function inBodyError(result: unknown, rules: ErrorRules, context: ErrorContext): SourceError | undefined {
  if (!rules.code) return undefined;
  const code = scalarText(selectOne(result, rules.code));
  if (code === undefined || code.trim() === '' || rules.success.includes(code.trim())) return undefined;
  const trimmed = code.trim();
  const message = (rules.message && scalarText(selectOne(result, rules.message))) || '(no message)';
  const ctx = { ...context, supplierCode: trimmed };
  if (rules.sessionExpired.includes(trimmed)) return new SessionExpiredError(`session expired (supplier error ${trimmed}: ${message})`, ctx);
  return new SourceError(`supplier error ${trimmed}: ${message}`, { code: 'supplier_error', retriable: rules.retriable.includes(trimmed), context: ctx });
}

export function statusError(status: number, context: ErrorContext, body?: string): SourceError {
  const retriable = status >= 500 || status === 408 || status === 429;
  const hint = status === 401 || status === 403 ? ' (check the credentials / client certificate)' : '';
  const excerpt = body ? `: ${body.replace(/\s+/g, ' ').slice(0, 200)}` : '';
  return new SourceError(`HTTP ${status} from the supplier${hint}${excerpt}`, { code: status === 401 || status === 403 ? 'auth' : 'http_status', retriable, context: { ...context, status } });
}

/** Any transport or soap-package failure → SourceError; our own errors pass through. */
export function toSourceError(err: unknown, rules: ErrorRules, context: ErrorContext, opts: { timeoutMs: number; maxResponseBytes: number; shutdown?: AbortSignal }): CasebridgeError {
  if (err instanceof CasebridgeError) {
    return Object.keys(context).length ? withContext(err, context) : err;
  }
  if (opts.shutdown?.aborted) return new SourceError('call abandoned: connector is shutting down', { code: 'aborted', retriable: true, cause: err, context });
  const e = err as Record<string, unknown> & Partial<Error>;
  // soap package: a parsed fault travels on `root`; an unparsable body is thrown as { Fault: {...} }.
  const root = e.root as { Envelope?: { Body?: unknown } } | undefined;
  const status = (e.response as { status?: number } | undefined)?.status;
  if (root?.Envelope?.Body) {
    const fault = faultFromEnvelopeBody(root.Envelope.Body);
    if (fault) return faultError(fault, rules, context, status);
  }
  // An HTTP error page (401 from a proxy, 503 from a load balancer) is not a SOAP message.
  if (status !== undefined && status >= 400) {
    const data = (e.response as { data?: unknown }).data ?? e.body;
    return statusError(status, context, typeof data === 'string' ? data : undefined);
  }
  if (e.Fault && typeof e.Fault === 'object') {
    const f = e.Fault as Record<string, unknown>;
    return new SourceError(`response could not be parsed as SOAP: ${String(f.faultstring ?? '')} ${String(f.detail ?? '')}`.trim(), { code: 'xml_invalid', retriable: false, cause: err, context });
  }
  if (err instanceof AxiosError || axiosLike(e)) {
    const ax = e as unknown as AxiosError;
    if (ax.code === 'ERR_CANCELED' || ax.code === 'ECONNABORTED' || /timeout/i.test(ax.message ?? '')) {
      return new SourceError(`no complete response within ${opts.timeoutMs} ms (timeout)`, { code: 'timeout', retriable: true, cause: err, context });
    }
    if (/maxContentLength/.test(ax.message ?? '')) {
      return new SourceError(`response larger than maxResponseBytes (${opts.maxResponseBytes} bytes); refused`, { code: 'response_too_large', retriable: false, cause: err, context });
    }
    if (ax.code && NETWORK_CODES.has(ax.code)) {
      return new SourceError(`cannot reach the supplier: ${ax.code}`, { code: 'network', retriable: true, cause: err, context });
    }
    if (ax.response) return statusError(ax.response.status, context, typeof ax.response.data === 'string' ? ax.response.data : undefined);
    return new SourceError(`HTTP request failed: ${ax.message}`, { code: 'network', retriable: true, cause: err, context });
  }
  if (status !== undefined) return statusError(status, context, typeof e.body === 'string' ? e.body : undefined);
  const code = typeof e.code === 'string' ? e.code : undefined;
  if (code && NETWORK_CODES.has(code)) return new SourceError(`cannot reach the supplier: ${code}`, { code: 'network', retriable: true, cause: err, context });
  return new SourceError(`SOAP call failed: ${e.message ?? String(err)}`, { code: 'soap_error', retriable: false, cause: err, context });
}

function axiosLike(e: Record<string, unknown>): boolean {
  return e.isAxiosError === true;
}

function withContext(err: CasebridgeError, context: ErrorContext): CasebridgeError {
  for (const [k, v] of Object.entries(context)) if (err.context[k] === undefined) (err.context as ErrorContext)[k] = v;
  return err;
}
