/**
 * Named parameters (`:since`, `:after_key` …) in SQL text, translated to each driver's own
 * placeholders so every value is bound by the driver — never pasted into the SQL.
 *
 * The scanner skips string literals, quoted identifiers, comments and PostgreSQL `::type` casts,
 * so `'10:30'`, `"a:b"`, `-- see :x` and `x::text` are left alone.
 */

export type PlaceholderStyle = 'dollar' | 'question' | 'at';

export interface CompiledSql {
  /** SQL with driver placeholders ($1 / ? / @name). */
  text: string;
  /** Positional values for $n / ? styles, in placeholder order. */
  values: unknown[];
  /** Named values for the @name style (SQL Server). */
  named: Record<string, unknown>;
}

interface Token {
  name: string;
  start: number;
  end: number;
}

export interface ScanOptions {
  /** MySQL / MariaDB strings treat backslash as an escape; PostgreSQL and SQL Server strings do not. */
  backslashEscapes?: boolean;
}

function scan(sql: string, opts: ScanOptions): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i]!;
    const next = sql[i + 1];
    if (c === "'" || c === '"' || c === '`') {
      // Quoted text; a doubled quote is an escaped quote. MySQL also allows backslash escapes.
      i++;
      while (i < n) {
        if (sql[i] === '\\' && c !== '`' && opts.backslashEscapes) {
          i += 2;
          continue;
        }
        if (sql[i] === c) {
          if (sql[i + 1] === c) {
            i += 2;
            continue;
          }
          break;
        }
        i++;
      }
      if (i >= n) throw new Error(`unterminated ${c === "'" ? 'string literal' : 'quoted identifier'} in the query`);
      i++;
      continue;
    }
    if (c === '[') {
      const close = sql.indexOf(']', i + 1);
      // `[` is a SQL Server quoted identifier, or a PostgreSQL array subscript; neither holds parameters
      // we must find, but an array subscript may (`a[:n]` is not supported: say so rather than guess).
      if (close === -1) throw new Error('unterminated [ in the query');
      i = close + 1;
      continue;
    }
    if (c === '-' && next === '-') {
      const nl = sql.indexOf('\n', i);
      i = nl === -1 ? n : nl + 1;
      continue;
    }
    if (c === '/' && next === '*') {
      const close = sql.indexOf('*/', i + 2);
      if (close === -1) throw new Error('unterminated /* comment in the query');
      i = close + 2;
      continue;
    }
    if (c === '$') {
      // PostgreSQL dollar quoting: $tag$ … $tag$
      const m = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i));
      if (m) {
        const close = sql.indexOf(m[0], i + m[0].length);
        if (close === -1) throw new Error(`unterminated dollar-quoted string ${m[0]} in the query`);
        i = close + m[0].length;
        continue;
      }
    }
    if (c === ':') {
      if (next === ':') {
        i += 2; // a cast, x::text
        continue;
      }
      const prev = i > 0 ? sql[i - 1]! : ' ';
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(sql.slice(i + 1));
      if (m && !/[A-Za-z0-9_]/.test(prev)) {
        out.push({ name: m[0], start: i, end: i + 1 + m[0].length });
        i += 1 + m[0].length;
        continue;
      }
    }
    i++;
  }
  return out;
}

/** Distinct parameter names used in the SQL, in first-use order. */
export function findNamedParams(sql: string, opts: ScanOptions = {}): string[] {
  return [...new Set(scan(sql, opts).map((t) => t.name))];
}

/** Translate `:name` to the driver's placeholders and collect the values to bind. */
export function compileNamed(sql: string, params: Record<string, unknown>, style: PlaceholderStyle, opts: ScanOptions = {}): CompiledSql {
  const tokens = scan(sql, opts);
  let text = '';
  let last = 0;
  const values: unknown[] = [];
  const named: Record<string, unknown> = {};
  const dollarIndex = new Map<string, number>();
  for (const t of tokens) {
    if (!(t.name in params)) throw new Error(`no value for parameter :${t.name}`);
    const value = params[t.name];
    let ph: string;
    if (style === 'dollar') {
      let idx = dollarIndex.get(t.name);
      if (idx === undefined) {
        values.push(value);
        idx = values.length;
        dollarIndex.set(t.name, idx);
      }
      ph = `$${idx}`;
    } else if (style === 'question') {
      values.push(value);
      ph = '?';
    } else {
      named[t.name] = value;
      ph = `@${t.name}`;
    }
    text += sql.slice(last, t.start) + ph;
    last = t.end;
  }
  text += sql.slice(last);
  return { text, values, named };
}
