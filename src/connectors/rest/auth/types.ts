/**
 * Auth that holds state between requests (a token, a login session). The HTTP client asks it for
 * headers before each request, tells it about every response, and, when a response says the
 * session is no longer accepted, renews it once and repeats that one request.
 */
import type { Clock } from '../../../core/clock.js';
import type { Logger } from '../../../core/logger.js';

export interface SessionAuth {
  /** What renewing means, for messages: "a fresh token", "a new login". */
  readonly renewal: string;
  /** Headers for a request to `url`, fetching a token or logging in first when there is none. */
  headers(url: URL, signal: AbortSignal): Promise<Record<string, string>>;
  /** Whether this response says the token or session is no longer accepted. */
  isExpired(status: number, headers: Record<string, string>, url: URL): boolean;
  /** Every response's Set-Cookie headers (a sliding session may renew its cookie). */
  remember?(url: URL, setCookie: string[]): Promise<void>;
  /** Forget the token or session, so the next request renews it. */
  invalidate(): void;
  close(): Promise<void>;
}

export interface SessionDeps {
  connector: string;
  /** Origin of the API (cookie logins go there only). */
  origin: string;
  clock: Clock;
  logger: Logger;
  ca?: string;
}
