import { describe, expect, it } from 'vitest';
import { compileNamed, findNamedParams } from '../../src/connectors/sql/params.js';

describe('named parameters', () => {
  const sql = `SELECT r.id, r.updated_at::text AS t, 'at 10:30 :since' AS s, "col:until" -- :limit in a comment
    /* :after_key in a block */ FROM r WHERE (r.updated_at, r.id) > (:since, :after_key) AND r.updated_at <= :until
    ORDER BY r.updated_at, r.id LIMIT :limit`;

  it('finds parameters outside strings, quoted identifiers, comments and :: casts', () => {
    expect(findNamedParams(sql)).toEqual(['since', 'after_key', 'until', 'limit']);
  });

  it('translates to $n for PostgreSQL, reusing the number for a repeated name', () => {
    const c = compileNamed('SELECT * FROM t WHERE a > :since OR (a = :since AND k > :after_key) LIMIT :limit', { since: 'S', after_key: 7, limit: 50 }, 'dollar');
    expect(c.text).toBe('SELECT * FROM t WHERE a > $1 OR (a = $1 AND k > $2) LIMIT $3');
    expect(c.values).toEqual(['S', 7, 50]);
  });

  it('translates to ? for MySQL, one value per occurrence', () => {
    const c = compileNamed('SELECT * FROM t WHERE a > :since OR (a = :since AND k > :after_key)', { since: 'S', after_key: 7 }, 'question');
    expect(c.text).toBe('SELECT * FROM t WHERE a > ? OR (a = ? AND k > ?)');
    expect(c.values).toEqual(['S', 'S', 7]);
  });

  it('translates to @name for SQL Server', () => {
    const c = compileNamed('SELECT TOP (:limit) * FROM [t:x] WHERE k > :after_key', { limit: 10, after_key: 'A' }, 'at');
    expect(c.text).toBe('SELECT TOP (@limit) * FROM [t:x] WHERE k > @after_key');
    expect(c.named).toEqual({ limit: 10, after_key: 'A' });
  });

  it('never pastes a value into the SQL text, whatever it contains', () => {
    const evil = "x'); DROP TABLE cases; --";
    for (const style of ['dollar', 'question', 'at'] as const) {
      const c = compileNamed('SELECT * FROM t WHERE k > :after_key', { after_key: evil }, style);
      expect(c.text).not.toContain('DROP');
    }
  });

  it('leaves the text alone around the value it binds', () => {
    const c = compileNamed("SELECT ':since' AS a, x::date FROM t WHERE y = :since", { since: 1 }, 'dollar');
    expect(c.text).toBe("SELECT ':since' AS a, x::date FROM t WHERE y = $1");
  });

  it('fails loudly when a parameter has no value', () => {
    expect(() => compileNamed('SELECT :nope', {}, 'dollar')).toThrow(/:nope/);
  });

  it('knows MySQL backslash escapes only when told', () => {
    const text = "SELECT 'it\\'s :not' , :yes";
    expect(findNamedParams(text, { backslashEscapes: true })).toEqual(['yes']);
    // In PostgreSQL the same text is a string ending at \' and a second string starting later.
    expect(() => findNamedParams(text, { backslashEscapes: false })).toThrow(/unterminated/);
  });

  it('skips dollar-quoted strings and does not mistake a word-glued colon for a parameter', () => {
    expect(findNamedParams('SELECT $$ :a $$, $tag$ :b $tag$, x:c, :d')).toEqual(['d']);
  });
});
