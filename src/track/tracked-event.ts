/**
 * A case event as the tracker reads it: the CaseEvent contract as it is, whose per-case sequence
 * (`casesequence` / `data.sequence`) older events lack — those are ordered by time.
 * Decodes both CloudEvents Kafka binding modes and local-log lines into one shape.
 */
import { CaseEvent } from '../event/case-event.js';
import { caseKey } from '../event/identity.js';

export const TrackedEvent = CaseEvent;
export type TrackedEvent = CaseEvent;

export type Decoded = { ok: true; event: TrackedEvent; key: string; sequence?: number } | { ok: false; reason: string; raw: unknown };

/** Validate a JSON value against the contract; the reason names the first failing fields. */
export function decodeEventObject(value: unknown): Decoded {
  const parsed = TrackedEvent.safeParse(value);
  if (!parsed.success) {
    const reason = parsed.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.map(String).join('.') || '(event)'}: ${i.message}`)
      .join('; ');
    return { ok: false, reason: `not a case event: ${reason}`, raw: value };
  }
  const event = parsed.data;
  const sequence = event.casesequence ?? event.data.sequence;
  const key = caseKey({ gss: event.data.council.gss, supplier: event.data.system.supplier, reference: event.data.case.reference });
  return sequence === undefined ? { ok: true, event, key } : { ok: true, event, key, sequence };
}

export function decodeJsonText(text: string): Decoded {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { ok: false, reason: `not JSON: ${(e as Error).message}`, raw: text.slice(0, 10_000) };
  }
  return decodeEventObject(value);
}

/**
 * A Kafka message in either CloudEvents binding mode: structured (content-type
 * application/cloudevents+json, the value is the event) or binary (ce_* headers, value = data).
 */
export function decodeKafkaMessage(value: string, headers: Record<string, string>): Decoded {
  const contentType = headers['content-type'] ?? '';
  if (!('ce_specversion' in headers) || contentType.startsWith('application/cloudevents+json')) return decodeJsonText(value);
  let data: unknown;
  try {
    data = JSON.parse(value);
  } catch (e) {
    return { ok: false, reason: `binary-mode value is not JSON: ${(e as Error).message}`, raw: { headers, value: value.slice(0, 10_000) } };
  }
  const event: Record<string, unknown> = { datacontenttype: contentType.split(';')[0]?.trim() || 'application/json', data };
  for (const [name, v] of Object.entries(headers)) {
    if (!name.startsWith('ce_')) continue;
    const attr = name.slice(3);
    // Extension attributes travel as strings in headers; the contract's are integers.
    event[attr] = attr === 'casesequence' && /^\d+$/.test(v) ? Number(v) : v;
  }
  return decodeEventObject(event);
}

/** Instant of an ISO timestamp in ms, for ordering events that carry no sequence. */
export const instant = (iso: string): number => Date.parse(iso);
