import { Writable } from 'node:stream';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { trackPage, type TrackPageConfig } from '../../src/track/page/plugin.js';
import { NOT_FOUND_MESSAGE } from '../../src/track/page/views.js';
import { memoryLookup, sampleCases, type StoredCase } from './page-helpers.js';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function start(opts: { config?: TrackPageConfig; cases?: StoredCase[] } = {}) {
  const logs: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const lookup = memoryLookup(opts.cases ?? sampleCases);
  app = Fastify({ logger: { level: 'info', stream } });
  await app.register(trackPage, { lookup, ...(opts.config && { config: opts.config }) });
  await app.ready();
  const get = (url: string) => app!.inject({ method: 'GET', url });
  return { get, logs, lookup };
}

const q = (params: Record<string, string>) => `/track?${new URLSearchParams(params)}`;

describe('resident page /track', () => {
  it('shows the find-your-case form, served with privacy headers and local stylesheets only', async () => {
    const { get } = await start();
    const res = await get('/track');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect(res.body).toContain('<form method="get" action="/track" novalidate>');
    expect(res.body).toContain('<label class="govuk-label govuk-label--s" for="reference">Case reference</label>');
    expect(res.body).not.toContain('govuk-error-summary');
    const links = [...res.body.matchAll(/(?:href|src|action)="([^"]*)"/g)].map((m) => m[1]!);
    expect(links.filter((l) => !l.startsWith('/track') && !l.startsWith('#'))).toEqual([]);
    const css = await get('/track/assets/govuk-frontend.min.css');
    expect(css.statusCode).toBe(200);
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(css.body).toContain('.govuk-error-summary');
    expect(css.body).not.toContain('@font-face');
    expect((await get('/track/assets/track.css')).body).toContain('.app-progress__item--current');
  });

  it('looks up a case and shows its progress, dates in UK time, due date, notes, photos and history', async () => {
    const { get, lookup } = await start();
    const res = await get(q({ reference: ' HW-100234 ', postcode: 'n11xr' }));
    expect(res.statusCode).toBe(200);
    expect(lookup.queries.at(-1)).toEqual({ reference: 'HW-100234', postcode: 'N1 1XR' });
    const b = res.body;
    expect(b).toContain('<title>Case HW-100234 – Track my case</title>');
    expect(b).toContain('<h1 class="govuk-heading-l">Pothole</h1>');
    expect(b).toContain('<strong class="govuk-tag govuk-tag--purple">Repair booked</strong>');
    // Progress: reported and looked-at done, booked is the current step, done not yet.
    expect(b).toMatch(/app-progress__item--complete">\s*<span class="app-progress__title">Reported<span class="govuk-visually-hidden"> \(done\)/);
    expect(b).toMatch(/app-progress__item--current" aria-current="step">\s*<span class="app-progress__title">Work booked/);
    expect(b).toContain('<span class="app-progress__date">Due by 12 November 2025</span>');
    expect(b).toMatch(/app-progress__item--upcoming">\s*<span class="app-progress__title">Done<span class="govuk-visually-hidden"> \(not started yet\)/);
    expect(b).toContain('<time datetime="2025-11-03T09:12:00Z">3 November 2025 at 9:12am</time>');
    expect(b).toContain('Our inspector marked the hole for a permanent repair.');
    expect(b).toContain('<dt class="govuk-summary-list__key">Other references</dt>\n<dd class="govuk-summary-list__value"><ul class="govuk-list"><li>FixMyStreet 4411</li></ul></dd>');
    expect(b).toContain('href="https://photos.example.org/hw-100234/1.jpg" rel="noopener noreferrer">The pothole on 4 November (opens the photo)</a>');
    // History newest first.
    expect(b.indexOf('>Repair booked</h3>')).toBeLessThan(b.indexOf('>Inspected</h3>'));
    expect(b.indexOf('>Inspected</h3>')).toBeLessThan(b.indexOf('>Reported</h3>'));
  });

  it('shows UK summer time and the closure reason for a private case found with its postcode', async () => {
    const { get } = await start();
    const res = await get(q({ reference: 'HR-5531', postcode: 'N7 8DB' }));
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<strong class="govuk-tag govuk-tag--grey">Closed</strong>');
    // 23:30 UTC on 30 June is 00:30 on 1 July in London (BST).
    expect(res.body).toContain('<time datetime="2025-06-30T23:30:00Z">1 July 2025 at 12:30am</time>');
    expect(res.body).toContain('<dt class="govuk-summary-list__key">Why it was closed</dt>\n<dd class="govuk-summary-list__value">Someone had already reported this. We dealt with it under their report.</dd>');
    expect(res.body).toMatch(/app-progress__item--complete">\s*<span class="app-progress__title">Closed<span class="govuk-visually-hidden"> \(done\)/);
  });

  it('gives one identical answer for an unknown reference, a wrong postcode and a private case without its postcode', async () => {
    const { get } = await start();
    const page = async (params: Record<string, string>) => {
      const res = await get(q(params));
      // Date and the rate limiter's countdown change with every request, whatever the answer.
      const { date: _d, 'x-ratelimit-remaining': _r, 'x-ratelimit-reset': _t, ...headers } = res.headers;
      // The form echoes what was typed; everything else must match byte for byte.
      return { status: res.statusCode, headers, body: res.body.replace(`value="${params['reference']}"`, 'value="REF"') };
    };
    const unknown = await page({ reference: 'HR-0000', postcode: 'N7 8DA' });
    const wrongPostcode = await page({ reference: 'HR-5531', postcode: 'N7 8DA' });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toContain(NOT_FOUND_MESSAGE);
    expect(unknown.body).toContain('<a href="#reference">');
    expect(wrongPostcode).toEqual(unknown);
    const unknownNoPostcode = await page({ reference: 'HR-0000' });
    const privateNoPostcode = await page({ reference: 'HR-5531' });
    expect(privateNoPostcode).toEqual(unknownNoPostcode);
    expect(privateNoPostcode.status).toBe(404);
    expect(privateNoPostcode.body).not.toContain('Housing repair');
  });

  it('links each problem in the error summary to its field', async () => {
    const { get, lookup } = await start();
    const res = await get(q({ reference: '  ', postcode: 'not a postcode' }));
    expect(res.statusCode).toBe(400);
    expect(lookup.queries).toEqual([]);
    const b = res.body;
    expect(b).toContain('<title>Error: Find your case – Track my case</title>');
    expect(b).toContain('<li><a href="#reference">Enter your case reference</a></li>');
    expect(b).toContain('<li><a href="#postcode">Enter a full UK postcode, like SW1A 1AA</a></li>');
    expect(b).toContain('<p id="reference-error" class="govuk-error-message"><span class="govuk-visually-hidden">Error:</span> Enter your case reference</p>');
    expect(b).toMatch(/id="reference" name="reference" type="text" value="  " [^>]*aria-describedby="reference-hint reference-error"/);
    expect(b).toContain('value="not a postcode"');
    const long = await get(q({ reference: 'A'.repeat(65) }));
    expect(long.statusCode).toBe(400);
    expect(long.body).toContain('Case reference must be 64 characters or fewer');
  });

  it('escapes every supplier string and drops links that are not web addresses', async () => {
    const { get } = await start();
    const res = await get(q({ reference: 'X<1>' }));
    expect(res.statusCode).toBe(200);
    const b = res.body;
    expect(b).not.toMatch(/<script|<img|<b>|javascript:/i);
    expect(b).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(b).toContain('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
    expect(b).toContain('&lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot;');
    expect(b).toContain('Case reference X&lt;1&gt;');
    expect(b).not.toContain('<h2 class="govuk-heading-m">Photos</h2>');
    // What a resident types is escaped too.
    const typed = await get(q({ reference: '"><script>alert(2)</script>' }));
    expect(typed.statusCode).toBe(404);
    expect(typed.body).not.toContain('<script>');
    expect(typed.body).toContain('value="&quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;"');
  });

  it('offers a council choice when the lookup serves several councils, and checks it', async () => {
    const oxford = { ...sampleCases[0]!.case, council: { gss: 'E07000178', name: 'Oxford City Council' }, reference: 'OX-1' };
    const { get, lookup } = await start({ cases: [...sampleCases, { case: oxford }] });
    const form = await get('/track');
    expect(form.body).toContain('<option value="E07000178">Oxford City Council</option>');
    const res = await get(q({ council: 'E07000178', reference: 'OX-1' }));
    expect(res.statusCode).toBe(200);
    expect(lookup.queries.at(-1)).toEqual({ reference: 'OX-1', council: 'E07000178' });
    expect(res.body).toContain('<dd class="govuk-summary-list__value">Oxford City Council</dd>');
    // The Islington reference asked of Oxford is not found; the choice is kept for the next try.
    const elsewhere = await get(q({ council: 'E07000178', reference: 'HW-100234' }));
    expect(elsewhere.statusCode).toBe(404);
    expect(elsewhere.body).toContain('<option value="E07000178" selected>Oxford City Council</option>');
    const bad = await get(q({ council: 'E99999999', reference: 'OX-1' }));
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('<li><a href="#council">Select your council from the list</a></li>');
  });

  it('rate-limits lookups per client, answering in plain words, while the empty form stays open', async () => {
    const { get, lookup } = await start({ config: { rateLimit: { max: 3, timeWindow: '1 minute' } } });
    for (let i = 0; i < 3; i++) expect((await get(q({ reference: `HR-${i}` }))).statusCode).toBe(404);
    const limited = await get(q({ reference: 'HW-100234' }));
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(limited.body).toContain('You have searched too many times');
    expect(lookup.queries).toHaveLength(3);
    expect((await get('/track')).statusCode).toBe(200);
  });

  it('keeps references and postcodes out of the request log', async () => {
    const { get, logs } = await start();
    await get(q({ reference: 'HR-5531', postcode: 'N7 8DB' }));
    await get(q({ reference: 'HW-100234', postcode: 'N1 1XR' }));
    const text = logs.join('');
    expect(text).toContain('"url":"/track"');
    expect(text).not.toMatch(/HR-5531|HW-100234|N7|N1\+1XR|N1 1XR/);
  });

  it('answers a failing lookup with the service-problem page, not a stack trace', async () => {
    const failing = { findCase: async () => Promise.reject(new Error('database down at 10.0.0.5')), councils: async () => [] };
    app = Fastify();
    await app.register(trackPage, { lookup: failing });
    const res = await app.inject({ method: 'GET', url: q({ reference: 'HW-1' }) });
    expect(res.statusCode).toBe(500);
    expect(res.body).toContain('Sorry, there is a problem with the service');
    expect(res.body).not.toContain('10.0.0.5');
  });

  it('serves at a configured path and rejects a bad one', async () => {
    const { get } = await start({ config: { path: '/council/track' } });
    expect((await get('/council/track')).body).toContain('action="/council/track"');
    await app!.close();
    app = Fastify();
    await expect(app.register(trackPage, { lookup: memoryLookup([]), config: { path: 'track' } }).ready()).rejects.toThrow(/a path such as \/track/);
  });
});
