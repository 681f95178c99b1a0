import { describe, expect, it } from 'vitest';
import { parseContactFields } from './contact-schema.js';
import { normalizePhone } from './phone.js';
import { fold, headerKey } from './text.js';

describe('normalizePhone', () => {
  it.each([
    ['(11) 91234-5678', '+5511912345678', 'BR'],
    ['11912345678', '+5511912345678', 'BR'],
    ['+55 11 91234 5678', '+5511912345678', 'BR'],
    ['55 11 91234-5678', '+5511912345678', 'BR'],
    ['011 91234-5678', '+5511912345678', 'BR'],
    ['+1 (415) 555-2671', '+14155552671', 'US'],
  ])('reads %s as %s', (input, e164, country) => {
    expect(normalizePhone(input, 'BR')).toEqual({ e164, country });
  });
  it.each(['12', 'abc', '+55 11', '1234567890123456789'])('rejects %s', (input) => {
    expect(normalizePhone(input, 'BR')).toBeUndefined();
  });
  it('uses the tenant default region for national numbers', () => {
    expect(normalizePhone('(415) 555-2671', 'US')?.e164).toBe('+14155552671');
  });
});

describe('parseContactFields', () => {
  it('lower-cases the email, upper-cases the country and derives it from the phone', () => {
    const r = parseContactFields({ firstName: ' Ana ', email: 'ANA@X.COM', phone: '(21) 99876-5432' }, { mode: 'create', defaultRegion: 'BR' });
    expect(r).toEqual({ ok: true, value: { firstName: 'Ana', email: 'ana@x.com', phone: '+5521998765432', country: 'BR' } });
  });
  it('reports every bad field at once', () => {
    const r = parseContactFields({ email: 'x', phone: 'y', language: '!!', origin: { type: 'nope', label: 'x' } }, { mode: 'create', defaultRegion: 'BR' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(Object.keys(r.fields).sort()).toEqual(['email', 'language', 'origin.type', 'phone']);
  });
  it('rejects unknown fields and non-object bodies', () => {
    const r = parseContactFields({ firstName: 'a', hack: true }, { mode: 'create', defaultRegion: 'BR' });
    expect(r.ok).toBe(false);
    expect(parseContactFields([], { mode: 'create', defaultRegion: 'BR' })).toEqual({ ok: false, fields: { body: 'must be a JSON object' } });
  });
  it('lets a patch omit everything', () => {
    expect(parseContactFields({}, { mode: 'patch', defaultRegion: 'BR' })).toEqual({ ok: true, value: {} });
  });
});

describe('fold and headerKey', () => {
  it('folds case and accents', () => {
    expect(fold('  ÉLODIE  Gonçalves ')).toBe('elodie goncalves');
  });
  it('matches CSV headers ignoring case, spaces, _ and -', () => {
    expect(new Set(['first_name', 'First Name', 'firstName', 'FIRST-NAME'].map(headerKey)).size).toBe(1);
  });
});
