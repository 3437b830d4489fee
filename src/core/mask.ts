/**
 * The one masking function for everything that leaves the process: logs, /status, /readyz, dead
 * letters and CLI output. Every secret from the config (an ${env:…}/${file:…} reference, or a value
 * written inline under a key that holds secrets) is registered here and replaced wherever it
 * appears — not only under known key names, because suppliers echo credentials in error messages.
 *
 * A secret is matched as plain text (never as a regular expression), and also in the forms it takes
 * once serialised: escaped inside JSON (a `"` or `\` in it becomes `\"` / `\\`) and URL-encoded
 * (a token sent as a query parameter and echoed back in an error).
 */
export const REDACTED = '[REDACTED]';

/** Shorter values would mask ordinary words. */
const MIN_LENGTH = 4;

const forms = new Set<string>();
let ordered: string[] = [];

export function registerSecret(value: string): void {
  if (typeof value !== 'string' || value.length < MIN_LENGTH) return;
  const before = forms.size;
  for (const f of [value, JSON.stringify(value).slice(1, -1), encodeURIComponent(value)]) if (f.length >= MIN_LENGTH) forms.add(f);
  // Longest first, so a secret that contains another is masked whole.
  if (forms.size !== before) ordered = [...forms].sort((a, b) => b.length - a.length);
}

export function hasSecrets(): boolean {
  return ordered.length > 0;
}

export function maskSecrets(text: string): string {
  let out = text;
  for (const f of ordered) if (out.includes(f)) out = out.split(f).join(REDACTED);
  return out;
}

/** Masks every string inside a JSON-like value (dead-letter records, status reports). */
export function maskDeep<T>(value: T): T {
  if (!ordered.length) return value;
  if (typeof value === 'string') return maskSecrets(value) as T;
  if (Array.isArray(value)) return value.map((v) => maskDeep(v)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[maskSecrets(k)] = maskDeep(v);
    return out as T;
  }
  return value;
}

/** Keys whose string values are secrets wherever they appear in a config. */
const SECRET_KEYS = new Set(['password', 'passphrase', 'privatekey', 'token', 'secret', 'apikey', 'authorization']);

/**
 * Registers secrets written inline in a config (not through ${env:…}), found by key: the keys
 * above anywhere, `value` of an api-key auth, `key` of a tls block.
 */
export function registerInlineSecrets(config: unknown, parentKey = ''): void {
  if (Array.isArray(config)) {
    for (const v of config) registerInlineSecrets(v, parentKey);
    return;
  }
  if (!config || typeof config !== 'object') return;
  const obj = config as Record<string, unknown>;
  for (const [k, v] of Object.entries(obj)) {
    const lower = k.toLowerCase();
    const secret =
      SECRET_KEYS.has(lower) || (lower === 'value' && typeof obj.type === 'string' && /api-?key/i.test(obj.type)) || (lower === 'key' && parentKey.toLowerCase() === 'tls');
    if (secret && typeof v === 'string') registerSecret(v);
    else registerInlineSecrets(v, k);
  }
}
