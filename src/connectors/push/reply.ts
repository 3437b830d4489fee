/** Small helpers for answering the supplier. */
import type { ServerResponse } from 'node:http';
import { escapeXmlText } from '../shared/xml-safety/index.js';

export function replyJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(Buffer.byteLength(text)), 'Cache-Control': 'no-store', ...headers });
  res.end(text);
}

/** A SOAP 1.1 fault written by hand, for refusals that happen before the SOAP server parses anything. */
export function replySoapFault(res: ServerResponse, status: number, code: 'Client' | 'Server', message: string, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const xml =
    '<?xml version="1.0" encoding="utf-8"?>' +
    '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault>' +
    `<faultcode>soap:${code}</faultcode><faultstring>${escapeXmlText(message)}</faultstring>` +
    '</soap:Fault></soap:Body></soap:Envelope>';
  res.writeHead(status, { 'Content-Type': 'text/xml; charset=utf-8', 'Content-Length': String(Buffer.byteLength(xml)), ...headers });
  res.end(xml);
}

/** After refusing an oversized body, do not read the rest of it. */
export function closeAfterReply(res: ServerResponse): void {
  res.setHeader('Connection', 'close');
  res.on('finish', () => res.socket?.destroySoon());
}
