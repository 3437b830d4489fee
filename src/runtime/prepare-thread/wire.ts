/**
 * Events and case memory as they come back from the prepare thread: as the text that thread made
 * once, turned into objects here only if something reads them (the dead letter of a refused event,
 * the local-log publisher, structured mode). A structured clone of the objects would cost the main
 * thread about what building them did.
 *
 * Events are not changed after they are prepared (the pipeline only reads them), so the text and
 * the object can never disagree; assigning `data` replaces the text as well.
 */
import type { CaseEvent } from '../../event/case-event.js';
import type { StateWrite } from '../../core/state-store.js';
import type { OutgoingCaseEvent } from '../../normalize/build-event.js';

export interface WireEvent {
  key: string;
  council: string;
  connector: string;
  /** The envelope with `data: null` in data's place, so the key order (structured mode) holds. */
  event: Omit<CaseEvent, 'data'> & { data: null };
  dataJson: string;
}

export interface WireWrite {
  namespace: string;
  key: string;
  json: string;
}

export function toWire(out: OutgoingCaseEvent): WireEvent {
  return { key: out.key, council: out.council, connector: out.connector, event: { ...out.event, data: null }, dataJson: JSON.stringify(out.event.data) };
}

export function fromWire(w: WireEvent): OutgoingCaseEvent {
  const event = w.event as unknown as CaseEvent;
  const out: OutgoingCaseEvent = { event, key: w.key, council: w.council, connector: w.connector, dataJson: w.dataJson };
  Object.defineProperty(event, 'data', {
    enumerable: true,
    configurable: true,
    get: () => {
      const data = JSON.parse(w.dataJson) as CaseEvent['data'];
      Object.defineProperty(event, 'data', { value: data, enumerable: true, configurable: true, writable: true });
      return data;
    },
    set: (data: CaseEvent['data']) => {
      Object.defineProperty(event, 'data', { value: data, enumerable: true, configurable: true, writable: true });
      delete out.dataJson;
    },
  });
  return out;
}

/** A case memory put whose value is parsed only if read (the store writes `json`). */
export function fromWireWrite(w: WireWrite): StateWrite {
  let value: unknown;
  let parsed = false;
  return {
    op: 'put',
    namespace: w.namespace,
    key: w.key,
    json: w.json,
    get value() {
      if (!parsed) {
        value = JSON.parse(w.json);
        parsed = true;
      }
      return value;
    },
  };
}
