import type { IncomingMessage, ServerResponse } from 'node:http';

/** One kind of push endpoint (webhook, SOAP) behind the connector's HTTP listener. */
export interface Receiver {
  /** Called for requests on the configured path. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** Resolves when the receiver can serve (WSDL parsed). */
  ready(): Promise<void>;
}
