/**
 * Two ways to call a SOAP operation, behind one interface so the polling logic does not care:
 *  - wsdl: the `soap` package builds envelopes from the WSDL and parses responses with its schema;
 *  - raw:  an envelope template file posted with axios, the response parsed by parseXmlSafely
 *          (for services whose WSDL is missing or broken).
 * Both return "the result": the content of the response element inside soap:Body, sanitised, with
 * XML attributes under `$attributes` — so the same paths work in either mode.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import soap from 'soap';
import { ConfigError, ConfigProblemsError, SourceError, type ErrorContext } from '../../core/errors.js';
import { ATTRIBUTES_KEY, VALUE_KEY, assertSafeXml, parseXmlSafely, sanitizeXmlObject } from '../shared/xml-safety/index.js';
import type { ErrorRules, SoapConnectorConfig } from './config.js';
import { faultError, faultFromEnvelopeBody, statusError } from './errors.js';
import type { GuardedHttp } from './http.js';
import { checkOperations, type DescribedInput, type OperationToCheck } from './wsdl-check.js';
import { renderArgs, renderXml, type TemplateVars } from './template.js';

export interface CallRequest {
  operation: string;
  /** wsdl mode: argument template. */
  args: Record<string, unknown>;
  /** raw mode: envelope template text. */
  envelope?: string;
  soapAction?: string;
  timeoutMs: number;
}

export interface SoapTransport {
  /** Load the WSDL (wsdl mode) and check every configured operation exists and takes the configured arguments. */
  prepare(calls: OperationToCheck[]): Promise<void>;
  invoke(call: CallRequest, vars: TemplateVars, signal: AbortSignal, context: ErrorContext): Promise<unknown>;
  close(): void;
}

export interface TransportDeps {
  config: SoapConnectorConfig;
  baseDir: string;
  http: GuardedHttp;
  rules: ErrorRules;
  alwaysArray: ReadonlySet<string>;
  connector: string;
}

type Security = { addHeaders?(h: Record<string, string>): void; toXML?(): string; addOptions?(o: unknown): void };

/** Security object from the soap package for the configured auth (certificate auth lives in the agent). */
export function buildSecurity(config: SoapConnectorConfig, baseDir: string): Security | undefined {
  const auth = config.auth;
  switch (auth.type) {
    case 'basic':
      return new soap.BasicAuthSecurity(auth.username, auth.password);
    case 'wsse':
      return new soap.WSSecurity(auth.username, auth.password, { passwordType: auth.passwordType, hasTimeStamp: auth.timestamp, hasNonce: auth.passwordType === 'PasswordDigest' });
    case 'certificate':
      return new soap.ClientSSLSecurity(readConfigFile(baseDir, auth.key, 'auth.key'), readConfigFile(baseDir, auth.cert, 'auth.cert'), config.tls?.ca ? readConfigFile(baseDir, config.tls.ca, 'tls.ca') : undefined, {
        forever: true,
        ...(auth.passphrase ? { passphrase: auth.passphrase } : {}),
        rejectUnauthorized: config.tls?.rejectUnauthorized ?? true,
      });
    default:
      return undefined;
  }
}

export function readConfigFile(baseDir: string, file: string, field: string): Buffer {
  const path = isAbsolute(file) ? file : resolve(baseDir, file);
  try {
    return readFileSync(path);
  } catch (e) {
    throw new ConfigError(`cannot read ${field} file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { context: { field, file: path } });
  }
}

// -------------------------------------------------------------------------------------------------
// wsdl mode

type CallbackMethod = (args: unknown, cb: (err: unknown, result: unknown) => void, options?: Record<string, unknown>) => void;

export function createWsdlTransport(deps: TransportDeps): SoapTransport {
  const { config, baseDir, http } = deps;
  const wsdl = config.wsdl as string;
  const remote = /^https?:\/\//i.test(wsdl);
  const wsdlPath = remote ? wsdl : isAbsolute(wsdl) ? wsdl : resolve(baseDir, wsdl);
  const wsdlDir = remote ? '' : dirname(wsdlPath);
  const security = buildSecurity(config, baseDir);
  let client: soap.Client | undefined;
  let loading: Promise<soap.Client> | undefined;

  const context = { connector: deps.connector, file: remote ? undefined : wsdlPath };

  /**
   * Every xsd:import / xsd:include / wsdl:import goes through here: remote ones only to allowed
   * hosts, local ones only inside the WSDL's own folder, and local files are checked for DTDs.
   */
  const overrideImportLocation = (location: string): string => {
    if (/^https?:/i.test(location)) {
      if (!http.isAllowed(location)) {
        throw new ConfigError(`WSDL import from ${location} refused: its host is not the WSDL/endpoint host and not in allowHosts`, { context: { ...context, import: location } });
      }
      return location;
    }
    if (remote) throw new ConfigError(`WSDL import ${location} refused: a remote WSDL may only import over http(s)`, { context });
    const rel = relative(wsdlDir, location);
    if (rel.startsWith('..') || isAbsolute(rel)) {
      throw new ConfigError(`WSDL import ${location} refused: local imports must stay inside ${wsdlDir}`, { context: { ...context, import: location } });
    }
    const size = statSync(location, { throwIfNoEntry: false })?.size ?? 0;
    if (size > config.maxResponseBytes) throw new ConfigError(`WSDL import ${location} is larger than maxResponseBytes`, { context });
    if (size > 0) assertSafeXml(readFileSync(location, 'utf8'), { ...context, file: location });
    return location;
  };

  const load = async (): Promise<soap.Client> => {
    if (!remote) {
      const text = readConfigFile(baseDir, wsdlPath, 'wsdl').toString('utf8');
      assertSafeXml(text, context);
    }
    let c: soap.Client;
    try {
      c = await soap.createClientAsync(wsdlPath, {
        request: http.axios,
        disableCache: true,
        ...(config.endpoint ? { endpoint: config.endpoint } : {}),
        forceSoap12Headers: config.soapVersion === '1.2',
        attributesKey: ATTRIBUTES_KEY,
        valueKey: VALUE_KEY,
        escapeXML: true,
        // Keep times as the supplier wrote them: `new Date("…")` would read zone-less UK times in
        // the gateway host's zone. Long integers (UPRNs, ids) stay text so nothing is rounded.
        customDeserializer: { dateTime: keepText, date: keepText, time: keepText, long: keepText, unsignedLong: keepText, integer: keepText, decimal: keepText },
        wsdl_options: { overrideImportLocation },
        wsdl_headers: config.httpHeaders,
      } as soap.IOptions);
    } catch (e) {
      if (e instanceof ConfigError || e instanceof SourceError) throw e;
      const msg = (e as Error).message ?? String(e);
      const retriable = remote && /ECONNREFUSED|ECONNRESET|timeout|ETIMEDOUT|ERR_CANCELED|status/i.test(msg);
      if (retriable) throw new SourceError(`cannot load WSDL ${wsdl}: ${msg}`, { code: 'wsdl_unavailable', retriable: true, cause: e, context });
      throw new ConfigError(`cannot load WSDL ${wsdl}: ${msg}`, { cause: e, context });
    }
    if (security) c.setSecurity(security as soap.ISecurity);
    for (const [k, v] of Object.entries(config.httpHeaders)) c.addHttpHeader(k, v);
    if (!config.endpoint) {
      // The call goes to the WSDL's soap:address. A council's own WSDL file is trusted to name it;
      // a downloaded WSDL may only point at hosts already allowed.
      const addresses = serviceAddresses(c);
      for (const addr of addresses) {
        if (!remote) {
          try {
            http.allow(new URL(addr).host);
          } catch {
            throw new ConfigError(`the WSDL's service address "${addr}" is not a URL; set endpoint`, { context });
          }
        } else if (!http.isAllowed(addr)) {
          throw new ConfigError(`the downloaded WSDL sends calls to ${addr}, which is not the WSDL host or in allowHosts; set endpoint or allowHosts`, { context });
        }
      }
    }
    return c;
  };

  const getClient = async (): Promise<soap.Client> => {
    if (client) return client;
    loading ??= load().finally(() => {
      loading = undefined;
    });
    client = await loading;
    return client;
  };

  const methodOf = (c: soap.Client, operation: string): CallbackMethod | undefined => {
    const holder = config.service ? (config.port ? (c as unknown as Record<string, Record<string, Record<string, unknown>>>)[config.service]?.[config.port] : firstPort(c, config.service)) : (c as unknown as Record<string, unknown>);
    const m = holder?.[operation];
    return typeof m === 'function' ? (m as CallbackMethod).bind(c) : undefined;
  };

  return {
    async prepare(calls) {
      const c = await getClient();
      const available = new Map<string, DescribedInput | string | undefined>();
      const described = c.describe() as Record<string, Record<string, Record<string, { input?: DescribedInput | string }>>>;
      const ports = config.service ? [config.port ? described[config.service]?.[config.port] : Object.values(described[config.service] ?? {})[0]] : Object.values(described).flatMap((svc) => Object.values(svc));
      for (const port of ports) for (const [op, d] of Object.entries(port ?? {})) if (!available.has(op) && methodOf(c, op)) available.set(op, d?.input);
      const problems = checkOperations(calls, available);
      if (problems.length) throw new ConfigProblemsError(problems, { context });
    },
    async invoke(call, vars, signal, ctx) {
      const c = await getClient();
      const method = methodOf(c, call.operation);
      if (!method) throw new ConfigError(`operation "${call.operation}" is not in the WSDL (it has: ${listOperations(c).join(', ')})`, { context: ctx });
      const args = renderArgs(call.args, vars);
      const result = await new Promise<unknown>((resolvePromise, reject) => {
        method(
          args,
          (err, res) => (err ? reject(err) : resolvePromise(res)),
          { timeout: call.timeoutMs, signal },
        );
      });
      return sanitizeXmlObject(result ?? {}, { alwaysArray: deps.alwaysArray }, ctx);
    },
    close() {
      const agent = (security as { agent?: { destroy(): void } } | undefined)?.agent;
      agent?.destroy();
      client = undefined;
    },
  };
}

function keepText(text: string): string {
  return text;
}

function firstPort(c: soap.Client, service: string): Record<string, unknown> | undefined {
  const svc = (c as unknown as Record<string, Record<string, Record<string, unknown>>>)[service];
  if (!svc) return undefined;
  const first = Object.keys(c.describe()[service] ?? {})[0];
  return first ? svc[first] : undefined;
}

function listOperations(c: soap.Client): string[] {
  const out = new Set<string>();
  const d = c.describe() as Record<string, Record<string, Record<string, unknown>>>;
  for (const svc of Object.values(d)) for (const port of Object.values(svc)) for (const op of Object.keys(port)) out.add(op);
  return [...out];
}

function serviceAddresses(c: soap.Client): string[] {
  const services = (c.wsdl as unknown as { services: Record<string, { ports: Record<string, { location?: string }> }> }).services ?? {};
  const out: string[] = [];
  for (const svc of Object.values(services)) for (const port of Object.values(svc.ports ?? {})) if (port.location) out.push(port.location);
  return out;
}

// -------------------------------------------------------------------------------------------------
// raw mode

export function createRawTransport(deps: TransportDeps): SoapTransport {
  const { config, http, rules } = deps;
  const security = buildSecurity(config, deps.baseDir);
  const endpoint = config.endpoint as string;
  return {
    async prepare() {
      // Nothing to load: envelope files were read when the connector was created.
    },
    async invoke(call, vars, signal, ctx) {
      // `args` (credentials from ${env:…}, constants) are offered to the envelope as {{args.Name}}.
      const args = renderArgs(call.args, vars);
      const envelope = renderXml(call.envelope as string, { ...vars, args, security: security?.toXML?.() ?? '' });
      const action = call.soapAction ?? call.operation;
      const headers: Record<string, string> =
        config.soapVersion === '1.2'
          ? { 'Content-Type': `application/soap+xml; charset=utf-8; action="${action}"` }
          : { 'Content-Type': 'text/xml; charset=utf-8', SOAPAction: `"${action}"` };
      security?.addHeaders?.(headers);
      const res = await http.axios.post<string>(endpoint, envelope, {
        headers,
        timeout: call.timeoutMs,
        signal,
        responseType: 'text',
        transformResponse: (d: unknown) => d,
        validateStatus: () => true,
      });
      const text = typeof res.data === 'string' ? res.data : String(res.data ?? '');
      const looksXml = /^\s*(<\?xml[^>]*>\s*)?</.test(text);
      if (!looksXml) {
        if (res.status >= 400) throw statusError(res.status, ctx, text);
        throw new SourceError(`response is not XML (HTTP ${res.status}, ${String(res.headers['content-type'] ?? 'no content type')})`, { code: 'xml_invalid', retriable: false, context: ctx });
      }
      const doc = parseXmlSafely(text, { alwaysArray: deps.alwaysArray }, ctx);
      const env = doc.Envelope as Record<string, unknown> | undefined;
      const body = env?.Body as Record<string, unknown> | undefined;
      if (!env || body === undefined) {
        if (res.status >= 400) throw statusError(res.status, ctx, text);
        throw new SourceError('response is XML but not a SOAP envelope (no Envelope/Body)', { code: 'xml_invalid', retriable: false, context: ctx });
      }
      const fault = faultFromEnvelopeBody(body);
      if (fault) throw faultError(fault, rules, ctx, res.status);
      if (res.status >= 400) throw statusError(res.status, ctx, text);
      if (!body || typeof body !== 'object') return {};
      const first = Object.keys(body).find((k) => k !== ATTRIBUTES_KEY);
      const result = first === undefined ? {} : body[first];
      if (result && typeof result === 'object' && !Array.isArray(result)) {
        const { [ATTRIBUTES_KEY]: _attrs, ...rest } = result as Record<string, unknown>;
        return rest;
      }
      return result ?? {};
    },
    close() {},
  };
}
