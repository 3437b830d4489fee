/**
 * `validate --live` for wsdl mode: the configured operations and their argument names against what
 * the WSDL declares. The soap package sends an argument the WSDL does not declare as it is, and most
 * .NET services then ignore it silently — `APIKey` where the WSDL says `ApiKey` reads as "no key"
 * and fails at run time, far from the config line that caused it.
 */
import { distance } from 'fastest-levenshtein';

export interface LiveProblem {
  /** Config path inside the connector, e.g. list.args.APIKey. */
  field: string;
  message: string;
}

/** What soap's Client.describe() gives for an operation's input: element name → type or nested element. */
export type DescribedInput = { [name: string]: string | DescribedInput };

const META = new Set(['targetNSAlias', 'targetNamespace']);

/** A spelling that is the same but for case, else the nearest within a small edit distance. */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  const sameLetters = candidates.find((c) => c.toLowerCase() === word.toLowerCase());
  if (sameLetters) return sameLetters;
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = distance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) [best, bestD] = [c, d];
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function elements(input: DescribedInput): Map<string, string | DescribedInput> {
  const out = new Map<string, string | DescribedInput>();
  for (const [k, v] of Object.entries(input)) if (!META.has(k)) out.set(k.endsWith('[]') ? k.slice(0, -2) : k, v);
  return out;
}

/** Argument names (nested objects too) that the operation's input does not declare. */
export function checkArgs(field: string, operation: string, args: unknown, input: DescribedInput | string | undefined): LiveProblem[] {
  if (typeof args !== 'object' || args === null || Array.isArray(args) || typeof input !== 'object') return [];
  const known = elements(input);
  const problems: LiveProblem[] = [];
  for (const [name, value] of Object.entries(args as Record<string, unknown>)) {
    // Attributes and raw XML are the soap package's own keys, not elements.
    if (name.startsWith('$') || name === 'attributes') continue;
    const declared = known.get(name);
    if (declared === undefined) {
      const hint = didYouMean(name, [...known.keys()]);
      const takes = known.size ? ` (it takes: ${[...known.keys()].join(', ')})` : ' (it takes no arguments)';
      problems.push({
        field: `${field}.${name}`,
        message: `argument "${name}" is not in the WSDL's input for ${operation}${hint ? ` — did you mean "${hint}"?` : ''}${takes}`,
      });
      continue;
    }
    const items = Array.isArray(value) ? value : [value];
    for (const item of items) problems.push(...checkArgs(`${field}.${name}`, operation, item, declared));
  }
  return problems;
}

export interface OperationToCheck {
  /** session, list or detail: where the call sits in the connector config. */
  kind: string;
  operation: string;
  args: Record<string, unknown>;
}

/** Every problem with the configured calls: unknown operations (with a did-you-mean) and unknown argument names. */
export function checkOperations(calls: OperationToCheck[], available: Map<string, DescribedInput | string | undefined>): LiveProblem[] {
  const problems: LiveProblem[] = [];
  for (const call of calls) {
    if (!available.has(call.operation)) {
      const hint = didYouMean(call.operation, [...available.keys()]);
      problems.push({
        field: `${call.kind}.operation`,
        message: `operation "${call.operation}" is not in the WSDL${hint ? ` — did you mean "${hint}"?` : ''} (it has: ${[...available.keys()].join(', ')})`,
      });
      continue;
    }
    problems.push(...checkArgs(`${call.kind}.args`, call.operation, call.args, available.get(call.operation)));
  }
  return problems;
}
