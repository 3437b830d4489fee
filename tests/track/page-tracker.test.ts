/**
 * The resident contract additions end to end on the tracker: a case event carrying a closure
 * reason, public notes, a photo link and a FixMyStreet reference → projection store (SQLite) →
 * ResidentLookup → the /track page. Personal data and the address in the same event never show.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { createApplier } from '../../src/track/ingest/applier.js';
import { createTrackMetrics } from '../../src/track/metrics.js';
import { createPrivacy } from '../../src/track/privacy.js';
import { createResidentLookup } from '../../src/track/resident.js';
import { openSqliteProjection } from '../../src/track/store/sqlite.js';
import { caseKey } from '../../src/event/identity.js';
import { trackPage } from '../../src/track/page/plugin.js';
import { silentLogger } from '../../src/core/logger.js';
import { event, trackConfig, uid } from './helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function pageOver(events: ReturnType<typeof event>[]): Promise<FastifyInstance> {
  const dir = mkdtempSync(join(tmpdir(), 'casebridge-page-tracker-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const store = openSqliteProjection(join(dir, 'track.sqlite'));
  await store.migrate();
  cleanups.push(() => store.close());
  const config = trackConfig();
  const applier = createApplier({ store, metrics: createTrackMetrics(), logger: silentLogger() });
  await applier.apply(
    events.map((e, i) => ({
      decoded: { ok: true as const, event: e, key: caseKey({ gss: e.data.council.gss, supplier: e.data.system.supplier, reference: e.data.case.reference }) },
      from: `test:${i}`,
    })),
  );
  const lookup = createResidentLookup({ store, privacy: createPrivacy(config), councils: config.councils });
  const app = Fastify();
  await app.register(trackPage, { lookup, rateLimit: { max: 100, timeWindow: 60_000 } });
  cleanups.push(() => app.close());
  return app;
}

describe('resident fields through the tracker to /track', () => {
  it('shows public notes, the photo link, the other reference and the closure reason; never personal data or the address', async () => {
    const reference = `FT-${uid()}`;
    const opened = event({ reference, minute: 0 });
    const closed = event({ reference, minute: 90, status: 'closed' });
    closed.data.case = {
      ...closed.data.case,
      closureReason: { code: 'not-council', supplierCode: 'PRIV', label: 'This is on private land.' },
      publicNotes: [{ text: 'The land owner has been told.', at: '2025-11-03T09:20:00Z' }],
      media: [{ url: 'https://photos.example.org/ft.jpg', caption: 'The site' }],
      relatedReferences: [{ system: 'fixmystreet', reference: '998877' }],
    };
    closed.data.personal = { reporterEmail: 'hmac-sha256:abc' };
    const app = await pageOver([opened, closed]);
    const res = await app.inject({ method: 'GET', url: `/track?reference=${reference}` });
    expect(res.statusCode).toBe(200);
    const b = res.body;
    expect(b).toContain('<p class="govuk-body">The land owner has been told.</p>');
    expect(b).toContain('href="https://photos.example.org/ft.jpg" rel="noopener noreferrer">The site (opens the photo)</a>');
    expect(b).toContain('<li>FixMyStreet 998877</li>');
    expect(b).toContain('<dd class="govuk-summary-list__value">This is on private land.</dd>');
    expect(b).toContain('<strong class="govuk-tag govuk-tag--green">Public closed</strong>');
    expect(b).not.toMatch(/hmac|reporterEmail|Upper Street|N1 1XR|5300034721|PRIV/);
  });

  it('a private service needs the postcode; without it, or with a wrong one, the page is the not-found page', async () => {
    const reference = `HR-${uid()}`;
    const app = await pageOver([event({ reference, minute: 0, service: 'HOUSING', postcode: 'N7 8DB' })]);
    const get = (qs: string) => app.inject({ method: 'GET', url: `/track?${qs}` });
    expect((await get(`reference=${reference}&postcode=n78db`)).statusCode).toBe(200);
    const none = await get(`reference=${reference}`);
    const wrong = await get(`reference=${reference}&postcode=N7+8DA`);
    const unknown = await get(`reference=NOPE-${uid()}&postcode=N7+8DA`);
    expect([none.statusCode, wrong.statusCode, unknown.statusCode]).toEqual([404, 404, 404]);
    const strip = (body: string) => body.replace(/value="[^"]*"/g, 'value=""');
    expect(strip(wrong.body)).toEqual(strip(unknown.body));
    expect(strip(none.body)).toEqual(strip(unknown.body));
  });
});
