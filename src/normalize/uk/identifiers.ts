/**
 * UK property and street identifiers and postcodes.
 *
 * UPRN / USRN are integers that some systems zero-pad (to 12 / 8 digits, or wider in fixed-width
 * exports) or hand over as numbers. We keep the canonical integer form as a string: leading zeros
 * stripped, so the same property has the same UPRN whichever supplier sent it. An all-zero value is
 * the common "no UPRN" placeholder and means absent, not invalid.
 */

export type IdCheck = { ok: true; value: string | undefined } | { ok: false; expected: string };

function canonicalDigits(v: unknown, maxDigits: number, name: string): IdCheck {
  let text: string;
  if (typeof v === 'number' || typeof v === 'bigint') {
    if (typeof v === 'number' && !Number.isSafeInteger(v)) return { ok: false, expected: `${name}: a whole number of 1 to ${maxDigits} digits` };
    text = String(v);
  } else if (typeof v === 'string') text = v.trim();
  else return { ok: false, expected: `${name}: 1 to ${maxDigits} digits` };
  // "100023336956.0" — what a spreadsheet or float column makes of an integer.
  const m = /^(\d+)(?:\.0+)?$/.exec(text);
  if (!m) return { ok: false, expected: `${name}: 1 to ${maxDigits} digits` };
  const stripped = m[1]!.replace(/^0+/, '');
  if (stripped === '') return { ok: true, value: undefined };
  if (stripped.length > maxDigits) return { ok: false, expected: `${name}: 1 to ${maxDigits} digits` };
  return { ok: true, value: stripped };
}

export const checkUprn = (v: unknown): IdCheck => canonicalDigits(v, 12, 'a UPRN');
export const checkUsrn = (v: unknown): IdCheck => canonicalDigits(v, 8, 'a USRN');

/**
 * Outward code: area (1–2 letters) + district (digit, then optional digit or letter); inward code:
 * digit + 2 letters. Plus the one non-geographic oddity GIR 0AA. Not a lookup against the postcode
 * file: it checks shape, so typos such as "SW1A 1A" or "SWIA 1AA"'s O/0 swaps in the inward part fail.
 */
const OUTWARD = /^(?:[A-Z]{1,2}\d[A-Z\d]?)$/;
const INWARD = /^\d[A-Z]{2}$/;

/** "sw1a1aa", " SW1A  1AA " → "SW1A 1AA"; undefined when it is not a UK postcode shape. */
export function normalisePostcode(v: string): string | undefined {
  const compact = v.replace(/\s+/g, '').toUpperCase();
  if (compact.length < 5 || compact.length > 7) return undefined;
  const outward = compact.slice(0, -3);
  const inward = compact.slice(-3);
  if (compact === 'GIR0AA') return 'GIR 0AA';
  if (!OUTWARD.test(outward) || !INWARD.test(inward)) return undefined;
  return `${outward} ${inward}`;
}
