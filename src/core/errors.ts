/**
 * Typed errors. Unlike kafkajs, nothing is retriable unless the code that throws knows it is:
 * a retriable error backs off and pauses one connector; anything else dead-letters the record
 * or stops that connector with its message — never the whole process, never silently.
 */
export interface ErrorContext {
  connector?: string;
  file?: string;
  line?: number;
  field?: string;
  table?: string;
  key?: string;
  operation?: string;
  [k: string]: string | number | boolean | undefined;
}

export class CasebridgeError extends Error {
  readonly retriable: boolean;
  readonly context: ErrorContext;
  /** Short machine-readable code for logs, metrics and dead letters. */
  readonly code: string;

  constructor(message: string, opts: { code?: string; retriable?: boolean; cause?: unknown; context?: ErrorContext } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.retriable = opts.retriable ?? false;
    this.context = opts.context ?? {};
    this.code = opts.code ?? 'error';
  }
}

/** Configuration is wrong: the gateway cannot start this connector until a person fixes it. */
export class ConfigError extends CasebridgeError {
  constructor(message: string, opts: { cause?: unknown; context?: ErrorContext; code?: string } = {}) {
    super(message, { code: 'config', ...opts, retriable: false });
  }
}

/** Several config problems found at once (e.g. by a live check against a WSDL), each with its config path. */
export class ConfigProblemsError extends ConfigError {
  constructor(
    readonly problems: { field: string; message: string }[],
    opts: { context?: ErrorContext } = {},
  ) {
    super(problems.map((p) => `${p.field}: ${p.message}`).join('; '), opts);
  }
}

/** A supplier system could not be read (network, timeout, fault, auth). */
export class SourceError extends CasebridgeError {}

/** A record could not be turned into a case event; the record goes to dead letters. */
export class MappingError extends CasebridgeError {
  constructor(message: string, opts: { cause?: unknown; context?: ErrorContext; code?: string } = {}) {
    super(message, { code: 'mapping', ...opts, retriable: false });
  }
}

/** The publisher could not make events durable (broker down, disk full). */
export class PublishError extends CasebridgeError {}

/** The state store could not read or commit. */
export class StateError extends CasebridgeError {}

/**
 * A commit was refused because this instance no longer holds the connector's lease (another
 * instance took over, or the lease was never held). Never retriable for this holder: retrying
 * cannot succeed, and the batch will be read again by the new holder.
 */
export class FencedError extends StateError {
  constructor(message: string, opts: { cause?: unknown; context?: ErrorContext } = {}) {
    super(message, { code: 'fenced', ...opts, retriable: false });
  }
}

export function isRetriable(err: unknown): boolean {
  return err instanceof CasebridgeError && err.retriable;
}

/** One line for humans: message plus the context that says where. */
export function describeError(err: unknown): string {
  if (err instanceof CasebridgeError) {
    const where = Object.entries(err.context)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(' ');
    return where ? `${err.message} (${where})` : err.message;
  }
  return err instanceof Error ? err.message : String(err);
}
