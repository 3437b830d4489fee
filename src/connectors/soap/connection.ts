/**
 * The SOAP connection, made on first use and dropped on close: an HTTP client that only talks to
 * the WSDL host, the endpoint host and the hosts the council allowed, with the configured TLS
 * material, and the transport (WSDL or raw envelopes) on top of it.
 */
import type { ErrorContext } from '../../core/errors.js';
import type { SoapConnectorConfig } from './config.js';
import { createGuardedHttp, type GuardedHttp } from './http.js';
import { createRawTransport, createWsdlTransport, readConfigFile, type SoapTransport } from './transport.js';

export interface SoapConnection {
  transport(): SoapTransport;
  /** The transport the login call uses: its own when the login is on a separate authentication service (Bartec). */
  authTransport(): SoapTransport;
  /** True when the login goes to a separate authentication service. */
  readonly separateAuth: boolean;
  close(): void;
}

/** Hosts a call may go to: the WSDL host, the endpoint host, and what the council allowed. */
export function allowedHosts(config: Pick<SoapConnectorConfig, 'allowHosts' | 'wsdl' | 'endpoint' | 'session'>): Set<string> {
  const hosts = new Set(config.allowHosts);
  for (const u of [config.wsdl, config.endpoint, config.session?.wsdl, config.session?.endpoint]) {
    if (u && /^https?:\/\//i.test(u)) hosts.add(new URL(u).host);
  }
  return hosts;
}

export function createSoapConnection(config: SoapConnectorConfig, baseDir: string, timeoutMs: number, baseContext: ErrorContext & { connector: string }): SoapConnection {
  const hosts = allowedHosts(config);
  let http: GuardedHttp | undefined;
  let transport: SoapTransport | undefined;
  let authTransport: SoapTransport | undefined;
  const session = config.session;
  const separateAuth = session !== undefined && (session.wsdl !== undefined || session.endpoint !== undefined);
  const connection: SoapConnection = {
    separateAuth,
    authTransport() {
      const main = connection.transport();
      if (!separateAuth || !session) return main;
      if (authTransport) return authTransport;
      // Same guards and limits as the main transport, another WSDL / endpoint.
      const authConfig = { ...config, wsdl: session.wsdl ?? config.wsdl, endpoint: session.endpoint ?? (session.wsdl ? undefined : config.endpoint) };
      const tdeps = { config: authConfig, baseDir, http: http!, rules: config.errors, alwaysArray: new Set(config.alwaysArray), connector: baseContext.connector };
      authTransport = config.mode === 'raw' ? createRawTransport(tdeps) : createWsdlTransport(tdeps);
      return authTransport;
    },
    transport() {
      if (transport) return transport;
      const auth = config.auth;
      const tlsFiles = {
        ...(config.tls?.ca ? { ca: readConfigFile(baseDir, config.tls.ca, 'tls.ca') } : {}),
        ...(auth.type === 'certificate'
          ? { cert: readConfigFile(baseDir, auth.cert, 'auth.cert'), key: readConfigFile(baseDir, auth.key, 'auth.key'), ...(auth.passphrase ? { passphrase: auth.passphrase } : {}) }
          : {}),
        rejectUnauthorized: config.tls?.rejectUnauthorized ?? true,
      };
      http = createGuardedHttp({ allowedHosts: hosts, timeoutMs, maxResponseBytes: config.maxResponseBytes, headers: config.httpHeaders, tls: tlsFiles, context: baseContext });
      const tdeps = { config, baseDir, http, rules: config.errors, alwaysArray: new Set(config.alwaysArray), connector: baseContext.connector };
      transport = config.mode === 'raw' ? createRawTransport(tdeps) : createWsdlTransport(tdeps);
      return transport;
    },
    close() {
      transport?.close();
      authTransport?.close();
      http?.close();
      transport = undefined;
      authTransport = undefined;
      http = undefined;
    },
  };
  return connection;
}
