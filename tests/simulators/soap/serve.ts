/**
 * Serve a hand-written WSDL and its service implementation with the `soap` package's own server
 * on 127.0.0.1 (port 0 unless given), over HTTP or HTTPS (optionally demanding a client
 * certificate), with optional HTTP Basic auth checked before the SOAP layer.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import soap from 'soap';

export const WSDL_DIR = join(dirname(fileURLToPath(import.meta.url)), 'wsdl');

/** The hand-written WSDL with its soap:address pointing at `address`. */
export function wsdlText(file: string, address: string): string {
  return readFileSync(join(WSDL_DIR, file), 'utf8').replaceAll('http://localhost:8080/SERVICE', address);
}

export interface ServeOptions {
  wsdlFile: string;
  path: string;
  services: soap.IServices;
  port?: number;
  host?: string;
  basicAuth?: { username: string; password: string };
  /** WS-Security UsernameToken check (PasswordText); anything else is refused with a fault. */
  wsse?: { username: string; password: string };
  tls?: { key: string | Buffer; cert: string | Buffer; ca?: string | Buffer; requestCert?: boolean };
  /** Called for every HTTP request before SOAP handling (tests count calls, read headers). */
  onRequest?(req: http.IncomingMessage): void;
}

export interface Served {
  url: string;
  wsdlUrl: string;
  /** Origin, e.g. http://127.0.0.1:40123 */
  origin: string;
  soapServer: soap.Server;
  close(): Promise<void>;
}

export async function serve(opts: ServeOptions): Promise<Served> {
  const server = opts.tls
    ? https.createServer({ key: opts.tls.key, cert: opts.tls.cert, ca: opts.tls.ca, requestCert: opts.tls.requestCert ?? false, rejectUnauthorized: opts.tls.requestCert ?? false })
    : http.createServer();
  server.on('request', (_req, res) => {
    // Requests the SOAP path did not claim.
    if (!res.headersSent && !res.writableEnded) {
      res.statusCode = 404;
      res.end('not found');
    }
  });
  const sockets = new Set<import('node:net').Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `${opts.tls ? 'https' : 'http'}://${opts.host ?? '127.0.0.1'}:${port}`;
  const url = `${origin}${opts.path}`;
  const xml = wsdlText(opts.wsdlFile, url);
  const soapServer = await new Promise<soap.Server>((resolve, reject) => {
    const s = soap.listen(server, {
      path: opts.path,
      services: opts.services,
      xml,
      attributesKey: '$attributes',
      suppressStack: true,
      // Hand request times to the service as written: these servers read the wall-clock text.
      customDeserializer: { dateTime: (t: string) => t, date: (t: string) => t },
      callback: (err: unknown) => (err ? reject(err) : resolve(s)),
    } as soap.IServerOptions);
  });
  soapServer.authorizeConnection = (req, res) => {
    opts.onRequest?.(req);
    if (opts.basicAuth && req.method === 'POST') {
      const expected = 'Basic ' + Buffer.from(`${opts.basicAuth.username}:${opts.basicAuth.password}`).toString('base64');
      if (req.headers.authorization !== expected) {
        res!.statusCode = 401;
        res!.setHeader('WWW-Authenticate', 'Basic realm="supplier"');
        res!.setHeader('Content-Type', 'text/plain');
        res!.write('401 Unauthorized');
        return false;
      }
    }
    return true;
  };
  if (opts.wsse) {
    const { username, password } = opts.wsse;
    soapServer.authenticate = (security: unknown) => {
      const token = (security as { UsernameToken?: { Username?: unknown; Password?: unknown } } | undefined)?.UsernameToken;
      const pw = token?.Password;
      const pwText = typeof pw === 'object' && pw !== null ? (pw as { $value?: unknown }).$value : pw;
      return token?.Username === username && pwText === password;
    };
  }
  return {
    url,
    wsdlUrl: `${url}?wsdl`,
    origin,
    soapServer,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** One scripted SOAP fault: the next call of `op` answers with it, once. */
export class FaultOnce {
  private next: { op: string; code: string; message: string } | undefined;

  set(op: string, code: string, message: string): void {
    this.next = { op, code, message };
  }

  /** Throws the scripted fault (as the `soap` server expects) when it is for `op`. */
  raiseFor(op: string): void {
    if (this.next?.op !== op) return;
    const f = this.next;
    this.next = undefined;
    throw { Fault: { faultcode: f.code, faultstring: f.message, statusCode: 500 } };
  }
}
