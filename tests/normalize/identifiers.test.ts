import { describe, expect, it } from 'vitest';
import { checkUprn, checkUsrn, normalisePostcode } from '../../src/normalize/uk/identifiers.js';

describe('UPRN and USRN', () => {
  it('keeps the canonical integer form', () => {
    expect(checkUprn('100023336956')).toEqual({ ok: true, value: '100023336956' });
    expect(checkUprn('000100023336956')).toEqual({ ok: true, value: '100023336956' });
    expect(checkUprn(100023336956)).toEqual({ ok: true, value: '100023336956' });
    expect(checkUprn('100023336956.0')).toEqual({ ok: true, value: '100023336956' });
    expect(checkUprn('5')).toEqual({ ok: true, value: '5' });
    expect(checkUsrn('020500123')).toEqual({ ok: true, value: '20500123' });
  });
  it('takes all zeros as "none"', () => {
    expect(checkUprn('000000000000')).toEqual({ ok: true, value: undefined });
    expect(checkUsrn(0)).toEqual({ ok: true, value: undefined });
  });
  it('refuses too many digits and non-digits', () => {
    expect(checkUprn('1234567890123')).toEqual({ ok: false, expected: 'a UPRN: 1 to 12 digits' });
    expect(checkUprn('12AB')).toMatchObject({ ok: false });
    expect(checkUprn(1.5)).toMatchObject({ ok: false });
    expect(checkUsrn('123456789')).toEqual({ ok: false, expected: 'a USRN: 1 to 8 digits' });
  });
});

describe('postcodes', () => {
  it('normalises to the "SW1A 1AA" form', () => {
    expect(normalisePostcode('sw1a1aa')).toBe('SW1A 1AA');
    expect(normalisePostcode('  N1   1XR ')).toBe('N1 1XR');
    expect(normalisePostcode('M11AE')).toBe('M1 1AE');
    expect(normalisePostcode('B33 8TH')).toBe('B33 8TH');
    expect(normalisePostcode('CR2 6XH')).toBe('CR2 6XH');
    expect(normalisePostcode('DN551PT')).toBe('DN55 1PT');
    expect(normalisePostcode('W1A 0AX')).toBe('W1A 0AX');
    expect(normalisePostcode('gir 0aa')).toBe('GIR 0AA');
  });
  it('refuses shapes that are not postcodes', () => {
    for (const bad of ['', 'SW1A 1A', 'SW1A 1AAA', '12345', 'N1 XXR', 'LONDON', 'SW1A-1AA']) expect(normalisePostcode(bad)).toBeUndefined();
  });
});
