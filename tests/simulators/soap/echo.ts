/**
 * Simulated Echo outbound integration: keeps events (missed collections, bulky bookings, fly-tips)
 * and calls the council's notification endpoint with NotifyEventUpdated whenever one changes,
 * with a WS-Security UsernameToken, resending until it gets the operation's response (a fault, an
 * HTTP error or no answer means "send it again"), as Echo does. Dates are UK local time without
 * an offset.
 */
import { randomUUID } from 'node:crypto';
import soap from 'soap';
import { ukLocal } from './uk-time.js';

export interface EchoEvent {
  Guid: string;
  Id: number;
  ClientReference?: string;
  EventTypeId: number;
  EventStateId: number;
  ResolutionCodeId?: number;
  ServiceId?: number;
  Uprn?: string;
  EventDate: string;
  LastUpdatedDate: string;
  ResolvedDate?: string;
  Notes?: string;
}

export class EchoNotifier {
  readonly events = new Map<string, EchoEvent>();
  /** Every delivery attempt: the event Guid and whether it was acknowledged. */
  readonly attempts: { guid: string; ok: boolean; error?: string }[] = [];
  private nextId = 4_001_001;
  private client: soap.Client | undefined;

  /** `wsdl`: the notification contract (a file); Echo posts to `endpoint` without fetching it. */
  constructor(
    private readonly endpoint: string,
    private readonly credentials: { username: string; password: string },
    private readonly wsdl: string,
  ) {}

  private async getClient(): Promise<soap.Client> {
    if (this.client) return this.client;
    const c = await soap.createClientAsync(this.wsdl, {}, this.endpoint);
    c.setSecurity(new soap.WSSecurity(this.credentials.username, this.credentials.password, { passwordType: 'PasswordText', hasTimeStamp: false }));
    this.client = c;
    return c;
  }

  add(input: { type: number; at: Date; clientReference?: string; uprn?: string }): EchoEvent {
    const e: EchoEvent = {
      Guid: randomUUID(),
      Id: this.nextId++,
      ...(input.clientReference ? { ClientReference: input.clientReference } : {}),
      EventTypeId: input.type,
      EventStateId: 1,
      ServiceId: 531,
      Uprn: input.uprn ?? '5870012345',
      EventDate: ukLocal(input.at),
      LastUpdatedDate: ukLocal(input.at),
      Notes: 'Resident Mr B Example says bin left at gate',
    };
    this.events.set(e.Guid, e);
    return e;
  }

  setState(guid: string, state: number, at: Date, resolution?: number): EchoEvent {
    const e = this.events.get(guid);
    if (!e) throw new Error(`no event ${guid}`);
    e.EventStateId = state;
    e.LastUpdatedDate = ukLocal(at);
    if (resolution !== undefined) {
      e.ResolutionCodeId = resolution;
      e.ResolvedDate = ukLocal(at);
    }
    return e;
  }

  /** Send the event's current state; resend (up to `attempts` times, `pauseMs` apart) until acknowledged. */
  async notify(guid: string, opts: { attempts?: number; pauseMs?: number } = {}): Promise<boolean> {
    const e = this.events.get(guid);
    if (!e) throw new Error(`no event ${guid}`);
    for (let i = 0; i < (opts.attempts ?? 20); i++) {
      try {
        const c = await this.getClient();
        const [result] = (await (c as unknown as { NotifyEventUpdatedAsync(a: unknown): Promise<[{ Acknowledged?: unknown }]> }).NotifyEventUpdatedAsync({ event: { ...e } })) ?? [];
        const ok = result?.Acknowledged === true || result?.Acknowledged === 'true';
        this.attempts.push({ guid, ok });
        if (ok) return true;
      } catch (err) {
        this.client = undefined;
        this.attempts.push({ guid, ok: false, error: (err as Error).message });
      }
      await new Promise((r) => setTimeout(r, opts.pauseMs ?? 500));
    }
    return false;
  }
}
