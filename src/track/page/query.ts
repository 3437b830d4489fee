/**
 * What a resident typed into the form, checked the GOV.UK way: each problem names its field
 * and says what to enter, in words, and the page links the error summary to that field.
 */
import { z } from 'zod';

export const MAX_REFERENCE_LENGTH = 64;

// Full UK postcode, any spacing or case; the outward/inward split is re-made on normalising.
const POSTCODE = /^([A-Z]{1,2}[0-9][A-Z0-9]?)\s*([0-9][A-Z]{2})$/;

/** "n11xr" → "N1 1XR"; undefined when it is not a full UK postcode. */
export function normalisePostcode(input: string): string | undefined {
  const m = POSTCODE.exec(input.trim().toUpperCase().replace(/\s+/g, ' '));
  return m ? `${m[1]} ${m[2]}` : undefined;
}

export type FieldName = 'reference' | 'postcode' | 'council';

export interface FieldError {
  field: FieldName;
  message: string;
}

/** The form as typed, echoed back into the inputs. */
export const TrackForm = z.object({
  reference: z.string().default(''),
  postcode: z.string().default(''),
  council: z.string().default(''),
});
export type TrackForm = z.infer<typeof TrackForm>;

export interface CheckedQuery {
  reference: string;
  postcode?: string;
  council?: string;
}

/** A repeated parameter (?reference=a&reference=b) reads as its first value. */
function single(v: unknown): string {
  if (Array.isArray(v)) return single(v[0]);
  return typeof v === 'string' ? v : '';
}

export function readForm(query: unknown): TrackForm {
  const q = (query ?? {}) as Record<string, unknown>;
  return TrackForm.parse({ reference: single(q['reference']), postcode: single(q['postcode']), council: single(q['council']) });
}

/** Whether the resident asked to look something up (the form was sent), or just opened the page. */
export const isLookup = (query: unknown): boolean => {
  const q = (query ?? {}) as Record<string, unknown>;
  return q['reference'] !== undefined;
};

export function checkForm(form: TrackForm, councils: readonly string[]): { query?: CheckedQuery; errors: FieldError[] } {
  const errors: FieldError[] = [];
  // Control characters never belong in a reference; dropping them keeps them off the page and out of lookups.
  const reference = form.reference.replace(/\p{Cc}/gu, '').trim();
  if (reference === '') errors.push({ field: 'reference', message: 'Enter your case reference' });
  else if (reference.length > MAX_REFERENCE_LENGTH) errors.push({ field: 'reference', message: `Case reference must be ${MAX_REFERENCE_LENGTH} characters or fewer` });
  let postcode: string | undefined;
  if (form.postcode.trim() !== '') {
    postcode = normalisePostcode(form.postcode);
    if (!postcode) errors.push({ field: 'postcode', message: 'Enter a full UK postcode, like SW1A 1AA' });
  }
  let council: string | undefined;
  if (form.council !== '') {
    if (councils.includes(form.council)) council = form.council;
    else errors.push({ field: 'council', message: 'Select your council from the list' });
  }
  if (errors.length) return { errors };
  return { query: { reference, ...(postcode && { postcode }), ...(council && { council }) }, errors };
}
