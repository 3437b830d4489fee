/**
 * Health, readiness and Prometheus metrics while the gateway runs:
 *   GET /healthz  200 while the process serves requests (liveness)
 *   GET /readyz   200 when the publisher is healthy and no connector is stopped or backing off, else 503
 *   GET /metrics  Prometheus text format
 *   GET /status   JSON: every connector's status, totals, last success and last error
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { RunTotals } from './connector-runner.js';

export interface StatusReport {
  ready: boolean;
  publisher: { ok: boolean; detail?: string };
  connectors: Array<{ name: string; status: string; lastSuccessAt?: string; lastError?: string; totals: RunTotals }>;
}

export async function startHttpServer(opts: { host: string; port: number; registry: Registry; status: () => StatusReport }): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    void (async () => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET') {
        res.writeHead(405, { allow: 'GET' }).end();
        return;
      }
      if (path === '/healthz') {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}\n');
      } else if (path === '/readyz' || path === '/status') {
        const report = opts.status();
        const code = path === '/readyz' && !report.ready ? 503 : 200;
        res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(report, null, 2) + '\n');
      } else if (path === '/metrics') {
        res.writeHead(200, { 'content-type': opts.registry.contentType }).end(await opts.registry.metrics());
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /healthz, /readyz, /metrics or /status\n');
      }
    })().catch((err: Error) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`error: ${err.message}\n`);
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
