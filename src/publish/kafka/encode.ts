/**
 * CloudEvents Kafka protocol binding (https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/bindings/kafka-protocol-binding.md).
 * Binary mode: attributes as `ce_` headers, `content-type` = datacontenttype, value = data.
 * Structured mode: `content-type: application/cloudevents+json`, value = the whole event.
 * The message key is the case key in both modes, so one case's events share a partition.
 */
import type { DeadLetter } from '../../core/dead-letter.js';
import type { CloudEvent, OutgoingEvent } from '../../core/publisher.js';

export type BindingMode = 'binary' | 'structured';

export interface KafkaRecord {
  key: string;
  value: string;
  headers: Record<string, string>;
}

export const STRUCTURED_CONTENT_TYPE = 'application/cloudevents+json; charset=UTF-8';

/** Header names for dead letters; values are plain strings so any consumer can filter on them. */
export const DEAD_LETTER_HEADERS = {
  code: 'casebridge_reason_code',
  stage: 'casebridge_stage',
  connector: 'casebridge_connector',
  council: 'casebridge_council',
  id: 'casebridge_dead_letter_id',
} as const;

export function encodeEvent(out: OutgoingEvent, mode: BindingMode): KafkaRecord {
  const e: CloudEvent = out.event;
  if (mode === 'structured') {
    return { key: out.key, value: JSON.stringify(e), headers: { 'content-type': STRUCTURED_CONTENT_TYPE } };
  }
  return {
    key: out.key,
    value: out.dataJson ?? JSON.stringify(e.data),
    headers: {
      ce_specversion: e.specversion,
      ce_id: e.id,
      ce_source: e.source,
      ce_type: e.type,
      ce_subject: e.subject,
      ce_time: e.time,
      ce_dataschema: e.dataschema,
      ...(e.casesequence !== undefined ? { ce_casesequence: String(e.casesequence) } : {}),
      'content-type': e.datacontenttype,
    },
  };
}

export function encodeDeadLetter(letter: DeadLetter): KafkaRecord {
  return {
    key: letter.connector,
    value: JSON.stringify(letter),
    headers: {
      'content-type': 'application/json',
      [DEAD_LETTER_HEADERS.code]: letter.code,
      [DEAD_LETTER_HEADERS.stage]: letter.stage,
      [DEAD_LETTER_HEADERS.connector]: letter.connector,
      [DEAD_LETTER_HEADERS.council]: letter.council,
      [DEAD_LETTER_HEADERS.id]: letter.id,
    },
  };
}

/** Bytes a record adds to a produce request, near enough to keep requests under maxRequestBytes. */
export function recordSize(r: KafkaRecord): number {
  let n = 70 + Buffer.byteLength(r.key) + Buffer.byteLength(r.value);
  // for…in, not Object.entries: no array of pairs per record (this runs for every event).
  for (const k in r.headers) n += 4 + k.length + Buffer.byteLength(r.headers[k]!);
  return n;
}
