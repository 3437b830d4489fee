/**
 * Simulated Whitespace-style works management that only lists what is open ("get open worksheets"), a
 * page at a time with a total count. A finished worksheet is simply no longer listed; a worksheet
 * can come back (re-opened). Tests script the listing between polls and can make one page fail or
 * go missing.
 */
import type soap from 'soap';
import { serve, type Served } from './serve.js';

export interface Worksheet {
  WorksheetRef: string;
  StatusCode: string;
  StatusText?: string;
  Description?: string;
  Address?: string;
  ServiceId?: string;
  ServiceName?: string;
  Uprn?: string;
  WorksheetCreatedDate?: string;
  WorksheetDueDate?: string;
}

export class WhitespaceSimulator {
  /** The open worksheets, in listing order. */
  readonly open = new Map<string, Worksheet>();
  readonly calls: { page: number }[] = [];
  served: Served | undefined;
  private failPage: number | undefined;
  private shortFrom: number | undefined;

  constructor(readonly pageSize = 4) {}

  /** Put (or update) an open worksheet. */
  set(ref: string, fields: Omit<Worksheet, 'WorksheetRef'>): void {
    this.open.set(ref, { WorksheetRef: ref, ...fields });
  }

  /** The worksheet is finished: it stops being listed. */
  finish(ref: string): void {
    this.open.delete(ref);
  }

  /** The next call for page `page` answers with a SOAP fault, once. */
  failNextPage(page: number): void {
    this.failPage = page;
  }

  /** Until cleared, pages from `page` on come back empty while the total still counts everything (a supplier bug). */
  emptyPagesFrom(page: number | undefined): void {
    this.shortFrom = page;
  }

  services(): soap.IServices {
    return {
      WorksService: {
        WorksServiceSoap: {
          GetOpenWorksheets: (args: Record<string, unknown>) => {
            const page = Number(args.PageNumber);
            this.calls.push({ page });
            if (!Number.isInteger(page) || page < 1) throw { Fault: { faultcode: 'soap:Client', faultstring: 'PageNumber must be 1 or more', statusCode: 500 } };
            if (this.failPage === page) {
              this.failPage = undefined;
              throw { Fault: { faultcode: 'soap:Server', faultstring: 'Database timeout while reading worksheets', statusCode: 500 } };
            }
            const all = [...this.open.values()];
            const items = this.shortFrom !== undefined && page >= this.shortFrom ? [] : all.slice((page - 1) * this.pageSize, page * this.pageSize);
            return { GetOpenWorksheetsResult: { TotalCount: all.length, Worksheets: { Worksheet: items.map((w) => ({ ...w })) } } };
          },
        },
      },
    };
  }

  /** `wsse`: Whitespace authenticates every call with a WS-Security UsernameToken. */
  async start(opts: { wsse?: { username: string; password: string } } = {}): Promise<Served> {
    this.served = await serve({ wsdlFile: 'whitespace-worksheets.wsdl', path: '/WorksService/Service.asmx', services: this.services(), ...(opts.wsse ? { wsse: opts.wsse } : {}) });
    return this.served;
  }

  async stop(): Promise<void> {
    await this.served?.close();
  }
}
