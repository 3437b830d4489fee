/**
 * Simulated Confirm (highways enquiries; SOAP, WS-Security UsernameToken, "status changes between two
 * times", then one enquiry at a time). Tests mutate `enquiries` through the helpers.
 */
import type soap from 'soap';
import { serve, type Served, FaultOnce } from './serve.js';
import { fromUkLocal, readAsServerLocal, ukLocal } from './uk-time.js';

export interface StatusLogRow {
  EnquiryLogNumber: number;
  EnquiryStatusCode: string;
  LogEffectiveTime: string;
  LoggedTime: string;
  StatusLogNotes: string;
}

export interface Enquiry {
  EnquiryNumber: number;
  ServiceCode: string;
  SubjectCode: string;
  EnquiryDescription: string;
  EnquiryLocation: string;
  EnquiryX: number;
  EnquiryY: number;
  EnquiryLogTime: string;
  Customer: { ContactName: string; ContactPhone: string; ContactEmail: string };
  logs: StatusLogRow[];
}

export interface ConfirmSimulatorOptions {
  username?: string;
  password?: string;
}

export class ConfirmSimulator {
  readonly enquiries = new Map<number, Enquiry>();
  readonly calls: { op: string; args: Record<string, unknown> }[] = [];
  /** Enquiries the status-change list still reports but GetEnquiry refuses (deleted or restricted). */
  readonly restricted = new Set<number>();
  readonly username: string;
  readonly password: string;
  private nextNumber = 1_004_501;
  private readonly faults = new FaultOnce();
  served: Served | undefined;

  constructor(opts: ConfirmSimulatorOptions = {}) {
    this.username = opts.username ?? 'casebridge';
    this.password = opts.password ?? 'highways-secret';
  }

  /** The next call of `op` answers with a SOAP fault. */
  failNext(op: string, code: string, message: string): void {
    this.faults.set(op, code, message);
  }

  addEnquiry(input: { service?: string; subject?: string; description?: string; location?: string; x?: number; y?: number; at: Date; contact?: Enquiry['Customer'] }): Enquiry {
    const n = this.nextNumber++;
    const enquiry: Enquiry = {
      EnquiryNumber: n,
      ServiceCode: input.service ?? 'HWAY',
      SubjectCode: input.subject ?? 'PHOL',
      EnquiryDescription: input.description ?? 'Pothole outside number 14, about 30cm across',
      EnquiryLocation: input.location ?? 'Holloway Road, outside 14',
      EnquiryX: input.x ?? 530_450.5,
      EnquiryY: input.y ?? 186_020.25,
      EnquiryLogTime: ukLocal(input.at),
      Customer: input.contact ?? { ContactName: 'Sam Walker', ContactPhone: '020 7946 0321', ContactEmail: 'sam.walker@example.net' },
      logs: [],
    };
    this.enquiries.set(n, enquiry);
    this.logStatus(n, 'LOG', input.at, 'Enquiry logged via web form');
    return enquiry;
  }

  /** A status log row; the same code as the previous row is allowed (the quirk). */
  logStatus(n: number, code: string, at: Date, notes = ''): StatusLogRow {
    const e = this.enquiries.get(n);
    if (!e) throw new Error(`no enquiry ${n}`);
    const row: StatusLogRow = { EnquiryLogNumber: e.logs.length + 1, EnquiryStatusCode: code, LogEffectiveTime: ukLocal(at), LoggedTime: ukLocal(at), StatusLogNotes: notes };
    e.logs.push(row);
    return row;
  }

  services(): soap.IServices {
    return {
      EnquiryService: {
        EnquiryPort: {
          GetEnquiryStatusChanges: (args: Record<string, unknown>) => {
            this.calls.push({ op: 'GetEnquiryStatusChanges', args });
            this.faults.raiseFor('GetEnquiryStatusChanges');
            // The quirk: offsets in the request are ignored; the wall-clock text is UK local time.
            const from = readAsServerLocal(args.LoggedTimeFrom);
            const to = readAsServerLocal(args.LoggedTimeTo);
            if (!from || !to) throw { Fault: { faultcode: 'soap:Client', faultstring: 'LoggedTimeFrom and LoggedTimeTo must be valid dates', statusCode: 500 } };
            const updated = [];
            for (const e of [...this.enquiries.values()].sort((a, b) => a.EnquiryNumber - b.EnquiryNumber)) {
              const rows = e.logs.filter((l) => {
                const t = fromUkLocal(l.LoggedTime).getTime();
                return t >= from.getTime() && t <= to.getTime();
              });
              if (rows.length === 0) continue;
              updated.push({ EnquiryNumber: e.EnquiryNumber, EnquiryStatusLog: rows.length === 1 ? rows[0] : rows });
            }
            return { GetEnquiryStatusChangesResult: { UpdatedEnquiry: updated } };
          },
          GetEnquiry: (args: Record<string, unknown>) => {
            this.calls.push({ op: 'GetEnquiry', args });
            this.faults.raiseFor('GetEnquiry');
            const e = this.restricted.has(Number(args.EnquiryNumber)) ? undefined : this.enquiries.get(Number(args.EnquiryNumber));
            if (!e) throw { Fault: { faultcode: 'soap:Client', faultstring: `Enquiry ${String(args.EnquiryNumber)} does not exist`, statusCode: 500 } };
            const { logs, ...rest } = e;
            return { GetEnquiryResult: { Enquiry: { ...rest, EnquiryStatusCode: logs[logs.length - 1]?.EnquiryStatusCode ?? '' } } };
          },
        },
      },
    };
  }

  async start(opts: { port?: number } = {}): Promise<Served> {
    this.served = await serve({
      wsdlFile: 'confirm-enquiries.wsdl',
      path: '/EnquiryService/EnquiryService.svc',
      services: this.services(),
      wsse: { username: this.username, password: this.password },
      ...(opts.port !== undefined ? { port: opts.port } : {}),
    });
    return this.served;
  }

  async stop(): Promise<void> {
    await this.served?.close();
  }
}
