/**
 * A deliberately hostile SOAP endpoint (plain node http on 127.0.0.1) for the safety tests: it
 * serves a normal WSDL, then answers calls with whatever `mode` says — entity bombs, external
 * entities, prototype-polluting element names, a huge body, silence, a trickle, a redirect.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { wsdlText } from './serve.js';

export type HostileMode = 'ok' | 'bomb' | 'xxe' | 'xxe-parameter' | 'proto' | 'constructor' | 'huge' | 'hang' | 'trickle' | 'redirect';

const envelope = (body: string, prolog = '') =>
  `<?xml version="1.0" encoding="utf-8"?>${prolog}<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><GetCasesResponse xmlns="http://example.org/cases/"><GetCasesResult>${body}</GetCasesResult></GetCasesResponse></soap:Body></soap:Envelope>`;

export const BILLION_LAUGHS = `<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>`;

export interface Hostile {
  url: string;
  wsdlUrl: string;
  mode: HostileMode;
  /** For xxe modes: the local file the entity points at. */
  secretFile: string;
  /** Bytes the server managed to write for the last `huge` answer. */
  hugeBytesWritten: number;
  requests: number;
  close(): Promise<void>;
}

export async function startHostile(opts: { secretFile: string; hugeBytes?: number; redirectTo?: string }): Promise<Hostile> {
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const path = '/cases/Service.asmx';
  const hugeBytes = opts.hugeBytes ?? 50 * 1024 * 1024;
  const state: Hostile = {
    url: '',
    wsdlUrl: '',
    mode: 'ok',
    secretFile: opts.secretFile,
    hugeBytesWritten: 0,
    requests: 0,
    close: async () => undefined,
  };
  const server = http.createServer((req, res) => {
    res.on('error', () => undefined);
    if (req.method === 'GET') {
      res.setHeader('Content-Type', 'text/xml');
      res.end(wsdlText('case-probe.wsdl', state.url));
      return;
    }
    state.requests++;
    req.resume();
    req.on('end', () => {
      const xml = (s: string) => {
        res.setHeader('Content-Type', 'text/xml; charset=utf-8');
        res.end(s);
      };
      switch (state.mode) {
        case 'ok':
          return xml(envelope('<Case><Reference>C1</Reference><Status>OPEN</Status></Case><Case><Reference>C2</Reference><Status>CLOSED</Status><Notes>Fly-tipping &amp; litter &lt;cleared&gt; &#163;50</Notes></Case>'));
        case 'bomb':
          return xml(envelope('<Case><Reference>&lol9;</Reference><Status>OPEN</Status></Case>', BILLION_LAUGHS));
        case 'xxe':
          return xml(envelope('<Case><Reference>&xxe;</Reference><Status>OPEN</Status></Case>', `<!DOCTYPE r [<!ENTITY xxe SYSTEM "file://${state.secretFile}">]>`));
        case 'xxe-parameter':
          return xml(envelope('<Case><Reference>x</Reference><Status>OPEN</Status></Case>', `<!DOCTYPE r [<!ENTITY % ext SYSTEM "file://${state.secretFile}"> %ext;]>`));
        case 'proto':
          return xml(envelope('<Case><Reference>C1</Reference><Status>OPEN</Status><__proto__><polluted>yes</polluted></__proto__></Case>'));
        case 'constructor':
          return xml(envelope('<Case><Reference>C1</Reference><Status>OPEN</Status><constructor><prototype><polluted>yes</polluted></prototype></constructor></Case>'));
        case 'huge': {
          res.setHeader('Content-Type', 'text/xml; charset=utf-8');
          const row = '<Case><Reference>C0000000</Reference><Status>OPEN</Status><Notes>' + 'x'.repeat(900) + '</Notes></Case>';
          const chunk = Buffer.from(row.repeat(64));
          state.hugeBytesWritten = 0;
          res.write(envelope('').split('</GetCasesResult>')[0]);
          const pump = () => {
            while (state.hugeBytesWritten < hugeBytes) {
              state.hugeBytesWritten += chunk.length;
              if (!res.write(chunk)) return void res.once('drain', pump);
            }
            res.end('</GetCasesResult></GetCasesResponse></soap:Body></soap:Envelope>');
          };
          res.on('close', () => {
            state.hugeBytesWritten = Math.min(state.hugeBytesWritten, hugeBytes);
          });
          return pump();
        }
        case 'hang':
          return; // accept, read the request, never answer
        case 'trickle': {
          res.setHeader('Content-Type', 'text/xml; charset=utf-8');
          res.flushHeaders();
          const t = setInterval(() => res.write(' '), 100);
          timers.add(t);
          res.on('close', () => clearInterval(t));
          return;
        }
        case 'redirect':
          res.statusCode = 302;
          res.setHeader('Location', opts.redirectTo ?? 'http://127.0.0.2:9/evil');
          return res.end();
      }
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  state.url = `http://127.0.0.1:${port}${path}`;
  state.wsdlUrl = `${state.url}?wsdl`;
  state.close = () =>
    new Promise<void>((resolve) => {
      for (const t of timers) clearInterval(t);
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return state;
}
