/** The inbox between HTTP handlers and read(): replies follow the ack's outcome or a timeout, never before. */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyHmac } from '../../src/connectors/push/auth.js';
import { HmacAuth } from '../../src/connectors/push/config.js';
import { Inbox } from '../../src/connectors/push/inbox.js';
import type { SourceRecord } from '../../src/core/source.js';
import { committed, failed } from '../helpers/outcome.js';

const rec = (ref: string): SourceRecord => ({ raw: { ref }, position: { operation: 'POST /x', receivedAt: '2025-11-03T14:05:00Z' }, fetchedAt: '2025-11-03T14:05:00Z' });

describe('push inbox', () => {
  it('hands batches over in arrival order and settles each submission from its own ack (committed or failed)', async () => {
    const inbox = new Inbox(10, 5000);
    const a = inbox.submit([rec('a')], []);
    const b = inbox.submit([rec('b')], []);
    const signal = new AbortController().signal;
    const first = await inbox.take(signal);
    const second = await inbox.take(signal);
    expect(first!.records[0]!.raw.ref).toBe('a');
    expect(second!.records[0]!.raw.ref).toBe('b');
    await second!.ack(failed('broker down'));
    await first!.ack(committed(first!));
    expect(await a.outcome).toEqual({ ok: true });
    expect(await b.outcome).toMatchObject({ ok: false, status: 503, retryAfterSeconds: 30 });
    // A late second answer changes nothing.
    await second!.ack(committed(second!));
    expect(await b.outcome).toMatchObject({ ok: false });
    expect(inbox.pending).toBe(0);
  });

  it('times out, drops batches whose client left before they were taken, and refuses past maxPending', async () => {
    const inbox = new Inbox(2, 50);
    const slow = inbox.submit([rec('slow')], []);
    expect(await slow.outcome).toMatchObject({ ok: false, status: 503, reason: expect.stringMatching(/not published within 50 ms/) });

    const inbox2 = new Inbox(2, 5000);
    const gone = inbox2.submit([rec('gone')], []);
    gone.cancel();
    expect(await gone.outcome).toMatchObject({ status: 499 });
    inbox2.submit([rec('x')], []);
    inbox2.submit([rec('y')], []);
    expect(await inbox2.submit([rec('z')], []).outcome).toMatchObject({ ok: false, status: 503, retryAfterSeconds: 5 });
    const ac = new AbortController();
    expect((await inbox2.take(ac.signal))!.records[0]!.raw.ref).toBe('x');
    inbox2.close('shutting down');
    expect(await inbox2.take(ac.signal)).toBeUndefined();
  });

  it('take() returns promptly when aborted', async () => {
    const inbox = new Inbox(2, 5000);
    const ac = new AbortController();
    const waiting = inbox.take(ac.signal);
    ac.abort();
    expect(await waiting).toBeUndefined();
  });
});

describe('HMAC verification', () => {
  const body = Buffer.from('{"case":{"repairReference":"HR-1"}}');
  it('accepts base64 signatures without a timestamp and refuses a signature of the wrong length', () => {
    const auth = HmacAuth.parse({ type: 'hmac', secret: 's3cret-key', header: 'X-Sig', encoding: 'base64', timestamp: false });
    const sig = createHmac('sha256', 's3cret-key').update(body).digest('base64');
    expect(verifyHmac(auth, { 'x-sig': sig }, body, new Date())).toEqual({ ok: true });
    expect(verifyHmac(auth, { 'x-sig': sig.slice(0, 20) }, body, new Date())).toEqual({ ok: false, reason: 'signature does not match' });
    expect(verifyHmac(auth, { 'x-sig': 'not base64 at all!' }, body, new Date())).toMatchObject({ ok: false });
  });

  it('accepts an ISO timestamp inside the tolerance and refuses one in the future beyond it', () => {
    const auth = HmacAuth.parse({ type: 'hmac', secret: 's3cret-key', timestamp: { format: 'iso', tolerance: '1m', signedPayload: '{timestamp}\n{body}' } });
    const now = new Date('2025-11-03T14:05:00Z');
    const sign = (ts: string) => createHmac('sha256', 's3cret-key').update(`${ts}\n${body.toString()}`).digest('hex');
    const ok = '2025-11-03T14:04:30Z';
    expect(verifyHmac(auth, { 'x-signature': sign(ok), 'x-timestamp': ok }, body, now)).toEqual({ ok: true });
    const ahead = '2025-11-03T14:07:00Z';
    expect(verifyHmac(auth, { 'x-signature': sign(ahead), 'x-timestamp': ahead }, body, now)).toMatchObject({ ok: false, reason: expect.stringMatching(/tolerance/) });
  });
});
