/**
 * The soap kind: the Confirm (highways enquiries) simulator (tests/simulators/soap/confirm.ts) over WS-Security,
 * read in time windows (status changes between two times, then GetEnquiry per enquiry).
 */
import { join } from 'node:path';
import { freePort } from '../../push/helpers.js';
import { ConfirmSimulator } from '../../simulators/soap/confirm.js';
import { WSDL_DIR } from '../../simulators/soap/serve.js';
import type { LiveSupplier, SourceKind } from './types.js';

const mapping = {
  reference: 'EnquiryNumber',
  description: 'EnquiryDescription',
  service: { code: 'SubjectCode' },
  status: { code: { jsonata: 'StatusChange.EnquiryStatusLog[-1].EnquiryStatusCode' }, lookup: 'highways-status' },
  openedAt: { path: 'EnquiryLogTime', date: 'iso' },
  updatedAt: { jsonata: 'StatusChange.EnquiryStatusLog[-1].LoggedTime', date: 'iso' },
  lookups: { 'highways-status': { entries: { LOG: { status: 'received' }, INP: { status: 'in_progress' } } } },
};

export const soap: SourceKind = {
  name: 'soap',
  // Each window starts `overlap` before the last one ended, for rows the supplier logged late.
  rereads: 'overlap',
  checkpoint: 'position',
  async start(n, batchSize): Promise<LiveSupplier> {
    const sim = new ConfirmSimulator();
    const served = await sim.start();
    const started = Date.now();
    const addAt = (k: number, at: (i: number) => Date) => Array.from({ length: k }, (_, i) => String(sim.addEnquiry({ at: at(i) }).EnquiryNumber));
    const refs = addAt(n, (i) => new Date(started - 2 * 3_600_000 + i * 60_000));
    const connector = (endpoint: string) => ({
      name: 'compliance-soap',
      type: 'soap',
      council: 'E09000019',
      system: { supplier: 'Example Highways', product: 'Enquiries' },
      batchSize,
      endpoint,
      wsdl: join(WSDL_DIR, 'confirm-enquiries.wsdl'),
      auth: { type: 'wsse', username: 'casebridge', password: '${env:HIGHWAYS_PASSWORD}', passwordType: 'PasswordText' },
      timeout: '10s',
      window: { start: new Date(started - 3 * 3_600_000).toISOString(), maxSpan: '1d', lag: '30s', overlap: '1m' },
      times: { zone: 'Europe/London', format: "yyyy-MM-dd'T'HH:mm:ss" },
      alwaysArray: ['EnquiryStatusLog'],
      errors: { retriable: ['Server'] },
      list: { operation: 'GetEnquiryStatusChanges', args: { LoggedTimeFrom: '{{since}}', LoggedTimeTo: '{{until}}' }, records: 'GetEnquiryStatusChangesResult.UpdatedEnquiry', key: 'EnquiryNumber' },
      detail: { operation: 'GetEnquiry', args: { EnquiryNumber: '{{ref}}' }, records: 'GetEnquiryResult.Enquiry', listAs: 'StatusChange', concurrency: 2 },
      mapping,
    });
    const env = { HIGHWAYS_PASSWORD: sim.password };
    return {
      connector: connector(served.url),
      env,
      refs,
      async add(k) {
        // Logged just before the read lag, so the next window (which overlaps the last) holds them.
        return addAt(k, () => new Date(Date.now() - 35_000));
      },
      async unreachable() {
        return { connector: connector(`http://127.0.0.1:${await freePort()}/EnquiryService/EnquiryService.svc`), env };
      },
      misconfigured() {
        return { connector: connector(served.url), env: { HIGHWAYS_PASSWORD: 'last-years-password' } };
      },
      teardown: () => sim.stop(),
    };
  },
};
