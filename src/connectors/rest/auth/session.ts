/** Which stateful auth (if any) a REST connector's `auth` needs. */
import type { RestAuth } from '../config.js';
import { createOAuth2ClientCredentials } from './oauth2.js';
import { createCookieSession } from './cookie-session.js';
import type { SessionAuth, SessionDeps } from './types.js';

export type { SessionAuth, SessionDeps } from './types.js';

/** The session for `auth`, or undefined for the stateless kinds (none, bearer, api-key, basic). */
export function createSessionAuth(auth: RestAuth, deps: SessionDeps): SessionAuth | undefined {
  if (auth.type === 'oauth2-client-credentials') return createOAuth2ClientCredentials(auth, deps);
  if (auth.type === 'cookie-session') return createCookieSession(auth, deps);
  return undefined;
}
