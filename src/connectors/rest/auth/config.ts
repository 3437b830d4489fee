/** Config of the REST auth methods that hold a session: OAuth2 client credentials, cookie login. */
import { z } from 'zod';
import { Duration, Secret } from '../../../core/units.js';

const httpUrl = z.string().url().regex(/^https?:\/\//i, 'an http:// or https:// URL');

export const OAuth2ClientCredentials = z
  .object({
    type: z.literal('oauth2-client-credentials'),
    tokenUrl: httpUrl.describe('Token endpoint, e.g. https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token'),
    clientId: z.string().min(1),
    clientSecret: Secret.describe('Use ${env:NAME} or ${file:PATH}; never written to logs or errors'),
    scope: z.string().min(1).optional().describe('e.g. https://org.crm11.dynamics.com/.default'),
    audience: z.string().min(1).optional().describe('For token endpoints that want an audience instead of (or as well as) a scope'),
    params: z.record(z.string(), z.string()).default({}).describe('Extra form fields for the token request'),
    clientAuth: z
      .enum(['body', 'basic'])
      .default('body')
      .describe('Send the client id and secret as form fields (default) or as HTTP Basic authentication'),
    refreshBefore: Duration.default('60s').describe('Fetch a new token this long before the old one expires'),
    timeout: Duration.default('30s').describe('Deadline of a token request'),
  })
  .strict()
  .describe('OAuth2 client credentials: a bearer token fetched from tokenUrl, cached, refreshed before expiry and once on a 401');
export type OAuth2ClientCredentials = z.infer<typeof OAuth2ClientCredentials>;

export const CookieSessionAuth = z
  .object({
    type: z.literal('cookie-session'),
    loginPath: z.string().regex(/^\//, 'a path starting with /').describe('Login endpoint on the API host, e.g. /api/login'),
    format: z.enum(['json', 'form']).default('json').describe('How the credentials are posted'),
    credentials: z
      .record(z.string(), z.string())
      .describe('Fields posted to the login endpoint, e.g. { UserName: casebridge, Password: "${env:UNIFORM_PASSWORD}" }'),
    sessionCookie: z.string().min(1).optional().describe('Name of the cookie that proves a login worked; without it any cookie set by the login will do'),
    expiredRedirect: z
      .string()
      .min(1)
      .optional()
      .describe('Path that a redirect goes to when the session has expired (e.g. /login.aspx); besides a 401, such a redirect means log in again'),
    logoutPath: z.string().regex(/^\//, 'a path starting with /').optional().describe('Called (POST) when the connector stops, to end the session'),
  })
  .strict()
  .describe('Log in with a POST, keep the session cookie, log in again once when the session expires');
export type CookieSessionAuth = z.infer<typeof CookieSessionAuth>;
