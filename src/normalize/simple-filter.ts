/**
 * Most mapping filters are plain comparisons of fields with constants (`` `Event Type` != 'Ignored' ``).
 * JSONata evaluates every expression asynchronously, which makes every row of such a mapping wait
 * on a promise. This compiles that common subset — field names, string / number / true / false /
 * null literals, = != < <= > >=, and, or, parentheses — into a synchronous function with JSONata's
 * own semantics, from JSONata's own parse tree. Anything else is left to JSONata.
 *
 * The compiled function returns FALLBACK when a record's values are outside what it reproduces
 * exactly (arrays, objects, dates, a comparison JSONata would reject with an error); the caller
 * then evaluates that record with JSONata, so results and error messages stay JSONata's.
 */
import jsonata from 'jsonata';

export const FALLBACK: unique symbol = Symbol('evaluate with JSONata');
type Value = string | number | boolean | null | undefined;
type Result = Value | typeof FALLBACK;
export type SimpleFilter = (raw: Record<string, unknown>) => Result;

interface Node {
  type: string;
  value?: unknown;
  lhs?: Node;
  rhs?: Node;
  steps?: Node[];
  expressions?: Node[];
}

const NODE_KEYS = new Set(['type', 'value', 'position', 'lhs', 'rhs', 'steps', 'expressions']);
const COMPARISONS = new Set(['=', '!=', '<', '<=', '>', '>=']);

/** A node with any annotation this compiler does not know (predicates, stages, focus, …) is not simple. */
const plain = (n: Node) => Object.keys(n).every((k) => NODE_KEYS.has(k));

const isPrimitive = (v: unknown): v is Value => v === null || v === undefined || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

/** JSONata's $boolean for the primitive values this compiler lets through. */
const boolize = (v: Value): boolean => (typeof v === 'string' ? v.length > 0 : typeof v === 'number' ? v !== 0 : v === true);

function compileNode(n: Node): SimpleFilter | undefined {
  if (!plain(n)) return undefined;
  switch (n.type) {
    case 'string':
    case 'number':
    case 'value': {
      const v = n.value;
      if (!isPrimitive(v) || v === undefined) return undefined;
      return () => v;
    }
    case 'path': {
      const step = n.steps?.length === 1 ? n.steps[0]! : undefined;
      if (!step || step.type !== 'name' || typeof step.value !== 'string' || !plain(step)) return undefined;
      const name = step.value;
      return (raw) => {
        const v = raw[name];
        return isPrimitive(v) ? v : FALLBACK;
      };
    }
    case 'block': {
      if (n.expressions?.length !== 1) return undefined;
      return compileNode(n.expressions[0]!);
    }
    case 'binary': {
      const op = n.value as string;
      const l = n.lhs && compileNode(n.lhs);
      const r = n.rhs && compileNode(n.rhs);
      if (!l || !r) return undefined;
      if (op === 'and' || op === 'or') {
        // Both sides are evaluated before combining: a side JSONata might reject falls back whole,
        // so its short-circuiting never changes the outcome.
        return (raw) => {
          const a = l(raw);
          if (a === FALLBACK) return FALLBACK;
          const b = r(raw);
          if (b === FALLBACK) return FALLBACK;
          return op === 'and' ? boolize(a) && boolize(b) : boolize(a) || boolize(b);
        };
      }
      if (!COMPARISONS.has(op)) return undefined;
      return (raw) => {
        const a = l(raw);
        if (a === FALLBACK) return FALLBACK;
        const b = r(raw);
        if (b === FALLBACK) return FALLBACK;
        if (op === '=' || op === '!=') {
          if (a === undefined || b === undefined) return false;
          return op === '=' ? a === b : a !== b;
        }
        // Ordering: JSONata throws for anything but two strings or two numbers (undefined aside).
        const ta = typeof a;
        const tb = typeof b;
        if ((ta !== 'undefined' && ta !== 'string' && ta !== 'number') || (tb !== 'undefined' && tb !== 'string' && tb !== 'number')) return FALLBACK;
        if (a === undefined || b === undefined) return undefined;
        if (ta !== tb) return FALLBACK;
        const x = a as string | number;
        const y = b as string | number;
        return op === '<' ? x < y : op === '<=' ? x <= y : op === '>' ? x > y : x >= y;
      };
    }
    default:
      return undefined;
  }
}

/** The synchronous form of a JSONata filter, or undefined when it needs JSONata itself. */
export function compileSimpleFilter(expression: jsonata.Expression): SimpleFilter | undefined {
  const root = compileNode(expression.ast() as unknown as Node);
  if (!root) return undefined;
  return (raw) => (Array.isArray(raw) || raw === null || typeof raw !== 'object' ? FALLBACK : root(raw));
}
