import { describe, expect, it } from 'vitest';
import { compilePath, parsePath } from '../../src/core/record-path.js';

describe('field paths', () => {
  it('parses names, indexes and quoted names', () => {
    expect(parsePath('A')).toEqual(['A']);
    expect(parsePath('A.B')).toEqual(['A', 'B']);
    expect(parsePath('Items[0].Code')).toEqual(['Items', 0, 'Code']);
    expect(parsePath('["Stage Desc."]')).toEqual(['Stage Desc.']);
    expect(parsePath("Row['a \\'b\\''].X")).toEqual(['Row', "a 'b'", 'X']);
    expect(parsePath('History Date/Time')).toEqual(['History Date/Time']);
    expect(parsePath('Loc.$attributes.Easting')).toEqual(['Loc', '$attributes', 'Easting']);
  });

  it('explains syntax errors with the position', () => {
    expect(() => parsePath('A..B')).toThrow('empty name at position 3 in path "A..B"');
    expect(() => parsePath('A[x]')).toThrow('expected [number] or ["name"] at position 2');
    expect(() => parsePath('A["x]')).toThrow('unclosed ["');
    expect(() => parsePath('A.')).toThrow('ends with "."');
    expect(() => parsePath('A[0]B')).toThrow('expected "." or "["');
  });

  it('reads a literal column whose name contains dots before trying it as a path', () => {
    expect(compilePath('Stage Desc.')({ 'Stage Desc.': 'Cleared' })).toBe('Cleared');
    expect(compilePath('A.B')({ 'A.B': 'literal', A: { B: 'nested' } })).toBe('literal');
    expect(compilePath('A.B')({ A: { B: 'nested' } })).toBe('nested');
  });

  it('reads XML attributes from $attributes, @_ keys, and via the @ shorthand', () => {
    const casebridgeXml = { Loc: { $attributes: { Easting: '530624' }, $value: 'Upper St' } };
    expect(compilePath('Loc.$attributes.Easting')(casebridgeXml)).toBe('530624');
    expect(compilePath('Loc.@Easting')(casebridgeXml)).toBe('530624');
    expect(compilePath('Loc')(casebridgeXml)).toBe('Upper St');
    const fxp = { Loc: { '@_Easting': '530624', '#text': 'Upper St' } };
    expect(compilePath('Loc.@_Easting')(fxp)).toBe('530624');
    expect(compilePath('Loc.@Easting')(fxp)).toBe('530624');
    expect(compilePath('Loc')(fxp)).toBe('Upper St');
  });

  it('does not care whether XML gave one element or a list', () => {
    expect(compilePath('Log[0].Code')({ Log: { Code: 'INP' } })).toBe('INP');
    expect(compilePath('Log[1].Code')({ Log: { Code: 'INP' } })).toBeUndefined();
    expect(compilePath('Log.Code')({ Log: [{ Code: 'INP' }, { Code: 'FIX' }] })).toBe('INP');
    expect(compilePath('Log[1].Code')({ Log: [{ Code: 'INP' }, { Code: 'FIX' }] })).toBe('FIX');
  });

  it('takes an element with only attributes (xsi:nil) as empty', () => {
    expect(compilePath('DateClosed')({ DateClosed: { $attributes: { nil: 'true' } } })).toBeUndefined();
    expect(compilePath('Missing.Deeper')({})).toBeUndefined();
  });
});
