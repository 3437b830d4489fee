/**
 * Simulated Idox Uniform planning (SOAP, HTTP Basic, list changed references then fetch
 * each). Applications carry no update time; `changes` records when each reference changed, which
 * only the list operation reveals.
 */
import type soap from 'soap';
import { serve, type Served, FaultOnce } from './serve.js';
import { readAsServerLocal, ukDate } from './uk-time.js';

export interface PlanningApplication {
  ReferenceValue: string;
  ApplicationType: string;
  ProposalDescription: string;
  SiteAddress: string;
  SitePostcode: string;
  UPRN: string;
  Easting: number;
  Northing: number;
  StatusCode: string;
  StatusDescription: string;
  DateReceived: string;
  DateValid: string;
  TargetDate: string;
  DecisionDate?: string;
  DecisionCode?: string;
  CaseOfficer: string;
  ApplicantName: string;
  AgentName: string;
}

const STATUS_WORDS: Record<string, string> = {
  REG: 'Registered',
  VAL: 'Valid - under consideration',
  CON: 'Consultation',
  DEC: 'Decided',
  WDN: 'Withdrawn',
};

export interface UniformSimulatorOptions {
  username?: string;
  password?: string;
  tls?: { key: string | Buffer; cert: string | Buffer; ca?: string | Buffer; requestCert?: boolean };
  /** HTTP Basic on every call (default true; a client-certificate install may not use it). */
  basicAuth?: boolean;
}

export class UniformSimulator {
  readonly applications = new Map<string, PlanningApplication>();
  /** When each reference changed (server knows; the application record does not say). */
  readonly changes: { ref: string; at: Date }[] = [];
  readonly calls: { op: string; args: Record<string, unknown> }[] = [];
  readonly username: string;
  readonly password: string;
  private seq = 1234;
  private readonly faults = new FaultOnce();
  served: Served | undefined;

  constructor(private readonly opts: UniformSimulatorOptions = {}) {
    this.username = opts.username ?? 'casebridge';
    this.password = opts.password ?? 'planning-secret';
  }

  failNext(op: string, code: string, message: string): void {
    this.faults.set(op, code, message);
  }

  addApplication(input: { type?: string; proposal?: string; address?: string; postcode?: string; uprn?: string; easting?: number; northing?: number; at: Date }): PlanningApplication {
    const yy = ukDate(input.at).slice(2, 4);
    const ref = `P${yy}/${String(this.seq++).padStart(5, '0')}/${input.type ?? 'FUL'}`;
    const app: PlanningApplication = {
      ReferenceValue: ref,
      ApplicationType: input.type ?? 'FUL',
      ProposalDescription: input.proposal ?? 'Single storey rear extension',
      SiteAddress: input.address ?? '7 Mildmay Grove North, London',
      SitePostcode: input.postcode ?? 'N1 4RH',
      UPRN: input.uprn ?? '5300098765',
      Easting: input.easting ?? 532_990,
      Northing: input.northing ?? 185_010,
      StatusCode: 'REG',
      StatusDescription: STATUS_WORDS.REG as string,
      DateReceived: ukDate(input.at),
      DateValid: ukDate(input.at),
      TargetDate: ukDate(new Date(input.at.getTime() + 56 * 86_400_000)),
      CaseOfficer: 'A. Planner',
      ApplicantName: 'Mr R Applicant',
      AgentName: 'Draw & Build Architects',
    };
    this.applications.set(ref, app);
    this.changes.push({ ref, at: input.at });
    return app;
  }

  setStatus(ref: string, code: keyof typeof STATUS_WORDS | string, at: Date, decision?: string): void {
    const app = this.applications.get(ref);
    if (!app) throw new Error(`no application ${ref}`);
    app.StatusCode = code;
    app.StatusDescription = STATUS_WORDS[code] ?? code;
    if (decision) {
      app.DecisionCode = decision;
      app.DecisionDate = ukDate(at);
    }
    this.changes.push({ ref, at });
  }

  services(): soap.IServices {
    return {
      PlanningService: {
        PlanningServiceSoap: {
          GetChangedServiceRequestRefVals: (args: Record<string, unknown>) => {
            this.calls.push({ op: 'GetChangedServiceRequestRefVals', args });
            this.faults.raiseFor('GetChangedServiceRequestRefVals');
            const since = readAsServerLocal(args.since);
            if (!since) throw { Fault: { faultcode: 'soap:Client', faultstring: 'since must be a valid date', statusCode: 500 } };
            const refs = [...new Set(this.changes.filter((c) => c.at.getTime() >= since.getTime()).map((c) => c.ref))];
            return { GetChangedServiceRequestRefValsResult: { string: refs } };
          },
          GetServiceRequestByReferenceValue: (args: Record<string, unknown>) => {
            this.calls.push({ op: 'GetServiceRequestByReferenceValue', args });
            this.faults.raiseFor('GetServiceRequestByReferenceValue');
            const app = this.applications.get(String(args.referenceValue));
            if (!app) throw { Fault: { faultcode: 'soap:Client', faultstring: `No application with reference ${String(args.referenceValue)}`, statusCode: 500 } };
            return { GetServiceRequestByReferenceValueResult: { ...app } };
          },
        },
      },
    };
  }

  async start(opts: { port?: number } = {}): Promise<Served> {
    this.served = await serve({
      wsdlFile: 'uniform-planning.wsdl',
      path: '/PlanningService/Service.asmx',
      services: this.services(),
      ...(this.opts.basicAuth === false ? {} : { basicAuth: { username: this.username, password: this.password } }),
      ...(this.opts.tls ? { tls: this.opts.tls } : {}),
      ...(opts.port !== undefined ? { port: opts.port } : {}),
    });
    return this.served;
  }

  async stop(): Promise<void> {
    await this.served?.close();
  }
}
