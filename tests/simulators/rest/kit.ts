/**
 * Small shared parts of the REST supplier simulators: a node http server on 127.0.0.1 that reads
 * the body, logs every request, and lets a test queue a raw answer for the next request to a path.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SimRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** Status of the answer, once sent. */
  status?: number;
}

export interface RawAnswer {
  status: number;
  body: string;
  contentType?: string;
  headers?: Record<string, string>;
}

export type Handler = (req: SimRequest, res: http.ServerResponse, url: URL) => void | Promise<void>;

export interface SimServer {
  url: string;
  origin: string;
  requests: SimRequest[];
  /** Answer the next `times` requests whose path starts with `path` with this, whatever they ask. */
  answer(path: string, a: RawAnswer, times?: number): void;
  close(): Promise<void>;
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

export async function startSimServer(handler: Handler, opts: { port?: number; maxBody?: number } = {}): Promise<SimServer> {
  const requests: SimRequest[] = [];
  const queued: { path: string; a: RawAnswer; left: number }[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= (opts.maxBody ?? 1024 * 1024)) chunks.push(c);
    });
    req.on('end', () => {
      const entry: SimRequest = { method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(entry);
      res.on('finish', () => (entry.status = res.statusCode));
      const i = queued.findIndex((q) => url.pathname.startsWith(q.path));
      if (i >= 0) {
        const q = queued[i]!;
        if (--q.left <= 0) queued.splice(i, 1);
        res.writeHead(q.a.status, { 'Content-Type': q.a.contentType ?? 'application/json', ...(q.a.headers ?? {}) });
        res.end(q.a.body);
        return;
      }
      Promise.resolve(handler(entry, res, url)).catch((err: unknown) => {
        if (!res.headersSent) sendJson(res, 500, { error: 'simulator_bug', message: String(err) });
      });
    });
  });
  await new Promise<void>((r) => server.listen(opts.port ?? 0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: origin,
    origin,
    requests,
    answer: (path, a, times = 1) => queued.push({ path, a, left: times }),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
