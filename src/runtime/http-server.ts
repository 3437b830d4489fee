/**
 * Health, readiness and Prometheus metrics while the gateway runs:
 *   GET /healthz  200 while the process serves requests (liveness)
 *   GET /readyz   200 when the publisher is healthy and no connector is stopped or backing off, else 503
 *   GET /metrics  Prometheus text format
 *   GET /status   JSON: every connector's status, totals, last success and last error; with a fleet,
 *                 who holds which connector (lease age, lag) across every instance
 * Bodies pass through the one masking function (mask.ts): error texts echo supplier messages,
 * which can hold credentials. With `token`, /status and /metrics need `Authorization: Bearer …`.
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { RunTotals } from './connector-runner.js';
import { maskSecrets } from '../core/mask.js';
import type { FleetView } from './fleet/fleet-view.js';

export interface StatusReport {
  ready: boolean;
  publisher: { ok: boolean; detail?: string };
  connectors: Array<{ name: string; status: string; lastSuccessAt?: string; lastError?: string; totals: RunTotals }>;
  /** With `fleet:`: which instance holds which connector, lease age and lag, as the lease table shows it. */
  fleet?: FleetView;
}

function bearerMatches(req: IncomingMessage, token: string): boolean {
  const m = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '');
  if (!m) return false;
  const given = Buffer.from(m[1]!, 'utf8');
  const want = Buffer.from(token, 'utf8');
  return given.length === want.length && timingSafeEqual(given, want);
}

export async function startHttpServer(opts: { host: string; port: number; registry: Registry; status: () => StatusReport; token?: string }): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    void (async () => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET') {
        res.writeHead(405, { allow: 'GET' }).end();
        return;
      }
      if (path === '/healthz') {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}\n');
      } else if ((path === '/status' || path === '/metrics') && opts.token !== undefined && !bearerMatches(req, opts.token)) {
        res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer realm="casebridge"' }).end('unauthorized: send Authorization: Bearer <http.token>\n');
      } else if (path === '/readyz' || path === '/status') {
        const report = opts.status();
        const code = path === '/readyz' && !report.ready ? 503 : 200;
        res.writeHead(code, { 'content-type': 'application/json' }).end(maskSecrets(JSON.stringify(report, null, 2)) + '\n');
      } else if (path === '/metrics') {
        res.writeHead(200, { 'content-type': opts.registry.contentType }).end(maskSecrets(await opts.registry.metrics()));
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /healthz, /readyz, /metrics or /status\n');
      }
    })().catch((err: Error) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`error: ${maskSecrets(err.message)}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  return {
    server,
    url: `http://${addr.address.includes(':') ? `[${addr.address}]` : addr.address}:${addr.port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
