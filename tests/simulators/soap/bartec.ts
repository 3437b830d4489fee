/**
 * Simulated Bartec Collective (waste; SOAP, token login, "updates since", history per request).
 * The data set is plain in-memory objects that tests mutate through the helper methods; every
 * call is recorded in `calls` so tests can assert what the connector sent.
 */
import { randomBytes } from 'node:crypto';
import type soap from 'soap';
import { serve, type Served } from './serve.js';
import { NO_DATE, fromUkLocal, readAsServerLocal, ukLocalMillis } from './uk-time.js';

export interface WasteHistoryRow {
  id: number;
  ServiceRequestID: number;
  ServiceCode: string;
  UPRN: string;
  ServiceLocation: { address: string; easting: number; northing: number; latitude?: number; longitude?: number };
  DateRequested: string;
  DateChanged: string;
  DateClosed: string;
  ClosingCode: string;
  ServiceStatusName: string;
  ExternalReference: string;
  SLAID: number;
  WorkGroupName: string;
  ContactName: string;
  ContactPhone: string;
  ContactEmail: string;
  RecordStamp: string;
}

export interface WasteRequest {
  ServiceRequestID: number;
  ServiceCode: string;
  JobReference: string;
  ServiceCategory: string;
  ServiceClass: string;
  ServiceType: string;
  DateAdded: string;
  DateChanged: string;
  history: WasteHistoryRow[];
}

export interface NewWasteRequest {
  serviceClass?: string;
  serviceType?: string;
  category?: string;
  uprn?: string;
  address?: string;
  easting?: number;
  northing?: number;
  withLatLong?: { latitude: number; longitude: number };
  contact?: { name: string; phone: string; email: string };
  at: Date;
}

export const WASTE_ERRORS = {
  ok: { Result: 0, Message: 'Success' },
  badLogin: { Result: -1, Message: 'Invalid username or password' },
  expired: { Result: -2, Message: 'Session token is invalid or has expired' },
  notFound: { Result: -3, Message: 'Service request not found' },
  busy: { Result: -99, Message: 'The system is busy, please try again later' },
} as const;

export interface BartecSimulatorOptions {
  tokenTtlMs?: number;
  pageSize?: number;
  username?: string;
  password?: string;
  /** The simulator's wall clock (tokens expire by it). */
  now?: () => Date;
}

export class BartecSimulator {
  readonly requests = new Map<number, WasteRequest>();
  readonly calls: { op: string; args: Record<string, unknown> }[] = [];
  readonly tokens = new Map<string, number>();
  tokenTtlMs: number;
  pageSize: number;
  private nextId = 51_688;
  private nextRow = 900_001;
  private failures: { op: string; error: { Result: number; Message: string } }[] = [];
  private readonly now: () => Date;
  private readonly username: string;
  private readonly password: string;
  served: Served | undefined;

  constructor(opts: BartecSimulatorOptions = {}) {
    this.tokenTtlMs = opts.tokenTtlMs ?? 20 * 60_000;
    this.pageSize = opts.pageSize ?? 25;
    this.now = opts.now ?? (() => new Date());
    this.username = opts.username ?? 'casebridge';
    this.password = opts.password ?? 'waste-secret';
  }

  /** The next call of `op` answers with this in-body error instead. */
  failNext(op: string, error: { Result: number; Message: string }): void {
    this.failures.push({ op, error });
  }

  expireAllTokens(): void {
    this.tokens.clear();
  }

  addRequest(input: NewWasteRequest): WasteRequest {
    const id = this.nextId++;
    const at = ukLocalMillis(input.at);
    const req: WasteRequest = {
      ServiceRequestID: id,
      ServiceCode: `SR000${id}`,
      JobReference: `JOB-${id}`,
      ServiceCategory: input.category ?? 'Garden Waste',
      ServiceClass: input.serviceClass ?? 'WASTE',
      ServiceType: input.serviceType ?? 'GW NEW SUBSCRIPTION',
      DateAdded: at,
      DateChanged: at,
      history: [],
    };
    const loc = {
      address: input.address ?? '12 Acacia Avenue, London N7 0AB',
      easting: input.easting ?? 530_963,
      northing: input.northing ?? 185_123,
      ...(input.withLatLong ?? {}),
    };
    req.history.push({
      id: this.nextRow++,
      ServiceRequestID: id,
      ServiceCode: req.ServiceCode,
      UPRN: input.uprn ?? '5300012345',
      ServiceLocation: loc,
      DateRequested: at,
      DateChanged: at,
      DateClosed: NO_DATE,
      ClosingCode: '',
      ServiceStatusName: 'OPEN',
      ExternalReference: `WEB-${id}`,
      SLAID: 10,
      WorkGroupName: 'Garden Waste Team',
      ContactName: input.contact?.name ?? 'Jane Resident',
      ContactPhone: input.contact?.phone ?? '07700 900123',
      ContactEmail: input.contact?.email ?? 'jane.resident@example.org',
      RecordStamp: randomBytes(8).toString('hex'),
    });
    this.requests.set(id, req);
    return req;
  }

  private appendRow(id: number, at: Date, change: Partial<WasteHistoryRow>): WasteHistoryRow {
    const req = this.requests.get(id);
    if (!req) throw new Error(`no service request ${id}`);
    const prev = req.history[req.history.length - 1] as WasteHistoryRow;
    const row: WasteHistoryRow = { ...prev, ...change, id: this.nextRow++, DateChanged: ukLocalMillis(at), RecordStamp: randomBytes(8).toString('hex') };
    req.history.push(row);
    req.DateChanged = row.DateChanged;
    return row;
  }

  setStatus(id: number, status: string, at: Date, opts: { closingCode?: string } = {}): WasteHistoryRow {
    const closed = status === 'CLOSED' || status === 'CANCELLED';
    return this.appendRow(id, at, { ServiceStatusName: status, ...(closed ? { DateClosed: ukLocalMillis(at), ClosingCode: opts.closingCode ?? 'COMPLETED' } : {}) });
  }

  /** The quirk: a history row (and a new DateChanged) although nothing about the case changed. */
  touch(id: number, at: Date): WasteHistoryRow {
    return this.appendRow(id, at, {});
  }

  private takeFailure(op: string): { Result: number; Message: string } | undefined {
    const i = this.failures.findIndex((f) => f.op === op);
    return i < 0 ? undefined : this.failures.splice(i, 1)[0]?.error;
  }

  private tokenError(token: unknown): { Result: number; Message: string } | undefined {
    const issued = typeof token === 'string' ? this.tokens.get(token) : undefined;
    if (issued === undefined || this.now().getTime() - issued >= this.tokenTtlMs) return WASTE_ERRORS.expired;
    return undefined;
  }

  services(): soap.IServices {
    return {
      WasteServices: {
        WasteServicesSoap: {
          Login: (args: Record<string, unknown>) => {
            this.calls.push({ op: 'Login', args: { Username: args.Username } });
            const fail = this.takeFailure('Login');
            if (fail) return { LoginResult: { Errors: fail } };
            if (args.Username !== this.username || args.Password !== this.password) return { LoginResult: { Errors: WASTE_ERRORS.badLogin } };
            const token = randomBytes(16).toString('hex');
            const now = this.now();
            this.tokens.set(token, now.getTime());
            return { LoginResult: { Errors: WASTE_ERRORS.ok, Token: token, TokenExpiry: ukLocalMillis(new Date(now.getTime() + this.tokenTtlMs)) } };
          },
          ServiceRequests_Updates_Get: (args: Record<string, unknown>) => {
            this.calls.push({ op: 'ServiceRequests_Updates_Get', args });
            const err = this.takeFailure('ServiceRequests_Updates_Get') ?? this.tokenError(args.Token);
            if (err) return { ServiceRequests_Updates_GetResult: { Errors: err } };
            const since = readAsServerLocal(args.LastUpdated);
            if (!since) return { ServiceRequests_Updates_GetResult: { Errors: { Result: -4, Message: `LastUpdated is not a valid date: ${String(args.LastUpdated)}` } } };
            const matching = [...this.requests.values()]
              .filter((r) => fromUkLocal(r.DateChanged).getTime() >= since.getTime())
              .sort((a, b) => a.DateChanged.localeCompare(b.DateChanged) || a.ServiceRequestID - b.ServiceRequestID);
            const pageNumber = Math.max(1, Number(args.PageNumber ?? 1) || 1);
            const page = matching.slice((pageNumber - 1) * this.pageSize, pageNumber * this.pageSize);
            return {
              ServiceRequests_Updates_GetResult: {
                Errors: WASTE_ERRORS.ok,
                ServiceRequests_Updates: {
                  $attributes: { RecordCount: matching.length, PageNumber: pageNumber, PageSize: this.pageSize, PageCount: Math.max(1, Math.ceil(matching.length / this.pageSize)) },
                  ServiceRequest_Updates: page.map(({ history: _h, ...u }) => u),
                },
              },
            };
          },
          ServiceRequests_History_Get: (args: Record<string, unknown>) => {
            this.calls.push({ op: 'ServiceRequests_History_Get', args });
            const err = this.takeFailure('ServiceRequests_History_Get') ?? this.tokenError(args.Token);
            if (err) return { ServiceRequests_History_GetResult: { Errors: err } };
            const req = this.requests.get(Number(args.ServiceRequestID));
            if (!req) return { ServiceRequests_History_GetResult: { Errors: WASTE_ERRORS.notFound } };
            // The quirk: `Date` is accepted and ignored; the whole history comes back.
            return {
              ServiceRequests_History_GetResult: {
                Errors: WASTE_ERRORS.ok,
                ServiceRequest_Histories: {
                  $attributes: { RecordCount: req.history.length },
                  ServiceRequest_History: req.history.map((h) => ({
                    ...h,
                    ServiceLocation: {
                      $attributes: {
                        Easting: h.ServiceLocation.easting.toFixed(2),
                        Northing: h.ServiceLocation.northing.toFixed(2),
                        ...(h.ServiceLocation.latitude !== undefined ? { Latitude: String(h.ServiceLocation.latitude), Longitude: String(h.ServiceLocation.longitude) } : {}),
                      },
                      $value: h.ServiceLocation.address,
                    },
                  })),
                },
              },
            };
          },
        },
      },
    };
  }

  /** Bartec's login lives on a separate authentication service: Authenticate(user, password) → Token.TokenString. */
  authServices(): soap.IServices {
    return {
      AuthenticationService: {
        AuthenticateSoap: {
          Authenticate: (args: Record<string, unknown>) => {
            this.calls.push({ op: 'Authenticate', args: { user: args.user } });
            const fail = this.takeFailure('Authenticate');
            if (fail) return { AuthenticateResult: { Errors: fail } };
            if (args.user !== this.username || args.password !== this.password) return { AuthenticateResult: { Errors: WASTE_ERRORS.badLogin } };
            const token = randomBytes(16).toString('hex');
            const now = this.now();
            this.tokens.set(token, now.getTime());
            return { AuthenticateResult: { Errors: WASTE_ERRORS.ok, Token: { TokenString: token, ExpiryDate: ukLocalMillis(new Date(now.getTime() + this.tokenTtlMs)) } } };
          },
        },
      },
    };
  }

  authServed: Served | undefined;

  /** The authentication service on its own port (and address), as Bartec runs it. */
  async startAuth(opts: { port?: number } = {}): Promise<Served> {
    this.authServed = await serve({ wsdlFile: 'bartec-auth.wsdl', path: '/Auth/Authenticate.asmx', services: this.authServices(), ...(opts.port !== undefined ? { port: opts.port } : {}) });
    return this.authServed;
  }

  async start(opts: { port?: number } = {}): Promise<Served> {
    this.served = await serve({ wsdlFile: 'bartec-collective.wsdl', path: '/WasteServices/Service.asmx', services: this.services(), ...(opts.port !== undefined ? { port: opts.port } : {}) });
    return this.served;
  }

  async stop(): Promise<void> {
    await this.authServed?.close();
    await this.served?.close();
  }
}
