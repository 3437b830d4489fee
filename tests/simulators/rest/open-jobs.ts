/**
 * Simulated repairs API that can only list the jobs still open (`GET /api/open-jobs`, page by page
 * with `meta.hasMore`). A finished job simply stops being listed; a job can come back. Tests script
 * the listing between polls and can make one page fail.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface OpenJob {
  jobRef: string;
  status: string;
  trade?: string;
  address?: string;
}

export class OpenJobsSimulator {
  readonly open = new Map<string, OpenJob>();
  readonly requests: string[] = [];
  private failPage: number | undefined;
  private server: http.Server | undefined;
  baseUrl = '';

  constructor(readonly pageSize = 4) {}

  set(ref: string, fields: Omit<OpenJob, 'jobRef'>): void {
    this.open.set(ref, { jobRef: ref, ...fields });
  }

  finish(ref: string): void {
    this.open.delete(ref);
  }

  /** The next request for `page` answers 500, once. */
  failNextPage(page: number): void {
    this.failPage = page;
  }

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      this.requests.push(`${url.pathname}${url.search}`);
      if (url.pathname !== '/api/open-jobs') {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
        return;
      }
      const page = Number(url.searchParams.get('page') ?? '1');
      if (this.failPage === page) {
        this.failPage = undefined;
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"database timeout"}');
        return;
      }
      const all = [...this.open.values()];
      const data = all.slice((page - 1) * this.pageSize, page * this.pageSize);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data, meta: { page, hasMore: page * this.pageSize < all.length } }));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.baseUrl;
  }

  async stop(): Promise<void> {
    const s = this.server;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
