/**
 * The resident page as a fastify plugin: `app.register(trackPage, { lookup })` serves
 *   GET /track                       the "find your case" form, and a case when the form is sent
 *   GET /track/assets/*.css          its stylesheets (nothing is loaded from anywhere else)
 *
 * Privacy rules the page keeps whatever the lookup does:
 * - one answer (404, same HTML) for an unknown reference, a wrong postcode and a private case
 *   asked without a postcode — the lookup returns `undefined` for all three;
 * - lookups are rate-limited per client address (@fastify/rate-limit); opening the empty form is not;
 * - the query string (reference, postcode) is kept out of request logs and never sent on as a
 *   Referer; answers are `no-store` so shared caches keep no case.
 * Registered without fastify-plugin on purpose: its error handler and rate limiter stay inside.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import { z } from 'zod';
import type { ResidentLookup } from '../resident-lookup.js';
import { FAVICON_SVG, loadGovukCss, TRACK_CSS } from './assets.js';
import { checkForm, isLookup, readForm } from './query.js';
import { casePage, formPage, NOT_FOUND_MESSAGE, problemPage, tooManyPage, type PageContext } from './views.js';

/** The page's settings, as a tracker config's `page:` section holds them. */
export const TrackPageConfig = z
  .object({
    path: z
      .string()
      .regex(/^\/[a-z0-9/_-]*[a-z0-9_-]$/, 'a path such as /track')
      .default('/track')
      .describe('Where the page is served'),
    serviceName: z.string().min(1).default('Track my case').describe('Shown in the header and every page title'),
    rateLimit: z
      .object({
        max: z.number().int().positive().default(30).describe('Lookups per client address per window'),
        timeWindow: z.union([z.string().min(1), z.number().int().positive()]).default('1 minute').describe('e.g. "1 minute", or milliseconds'),
      })
      .strict()
      .default({ max: 30, timeWindow: '1 minute' }),
  })
  .strict();
export type TrackPageConfig = z.input<typeof TrackPageConfig>;

export interface TrackPageOptions {
  lookup: ResidentLookup;
  config?: TrackPageConfig;
  /** The tracker's lookup limit (http.lookupRateLimit); wins over config.rateLimit. */
  rateLimit?: { max: number; timeWindow: number | string };
}

const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
} as const;

function sendPage(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply
    .code(status)
    .headers({ ...SECURITY_HEADERS, 'cache-control': 'no-store', 'content-type': 'text/html; charset=utf-8' })
    .send(body);
}

/** Request logs show the path only: the query holds a case reference and maybe a postcode. */
const pathOnly = (req: FastifyRequest) => ({ method: req.method, url: req.url.split('?')[0], remoteAddress: req.ip });

export async function trackPage(app: FastifyInstance, options: TrackPageOptions): Promise<void> {
  const config = TrackPageConfig.parse({ ...options.config, ...(options.rateLimit && { rateLimit: options.rateLimit }) });
  const { lookup } = options;
  const base = config.path;
  const govukCss = await loadGovukCss();
  if (!app.hasDecorator('rateLimit')) await app.register(rateLimit, { global: false });

  const context = async (): Promise<PageContext> => ({ base, serviceName: config.serviceName, councils: await lookup.councils() });

  app.setErrorHandler(async (error: { statusCode?: number }, req, reply) => {
    const ctx: PageContext = { base, serviceName: config.serviceName, councils: [] };
    if (error.statusCode === 429) return sendPage(reply, 429, tooManyPage(ctx));
    req.log.error({ err: error }, 'track page failed');
    return sendPage(reply, 500, problemPage(ctx));
  });

  app.get(
    base,
    {
      logSerializers: { req: pathOnly },
      config: {
        rateLimit: {
          max: config.rateLimit.max,
          timeWindow: config.rateLimit.timeWindow,
          allowList: (req: FastifyRequest) => !isLookup(req.query),
        },
      },
    },
    async (req, reply) => {
      const ctx = await context();
      if (!isLookup(req.query)) return sendPage(reply, 200, formPage(ctx, { reference: '', postcode: '', council: '' }, []));
      const form = readForm(req.query);
      const { query, errors } = checkForm(
        form,
        ctx.councils.map((c) => c.gss),
      );
      if (!query) return sendPage(reply, 400, formPage(ctx, form, errors));
      const found = await lookup.findCase(query);
      if (!found) return sendPage(reply, 404, formPage(ctx, form, [{ field: 'reference', message: NOT_FOUND_MESSAGE }]));
      return sendPage(reply, 200, casePage(ctx, found));
    },
  );

  const asset = (type: string, body: string) => async (_req: FastifyRequest, reply: FastifyReply) =>
    reply.headers({ 'content-type': type, 'cache-control': 'public, max-age=86400', 'x-content-type-options': 'nosniff' }).send(body);
  app.get(`${base}/assets/govuk-frontend.min.css`, asset('text/css; charset=utf-8', govukCss));
  app.get(`${base}/assets/track.css`, asset('text/css; charset=utf-8', TRACK_CSS));
  app.get(`${base}/assets/favicon.svg`, asset('image/svg+xml', FAVICON_SVG));
}
