import { describe, expect, it } from 'vitest';
import { countRecords, parseCsv } from '../../web/src/lib/csv.js';
import { formatPhone } from '../../web/src/lib/format.js';
import { chartCsv } from '../../web/src/pages/analytics/download.js';

/** The SPA's pure helpers (no DOM): what the contact tables and the import preview show. */
describe('formatPhone', () => {
  it('groups Brazilian mobiles and landlines by area code', () => {
    expect(formatPhone('+5511987654321')).toBe('+55 11 98765-4321');
    expect(formatPhone('+551133334444')).toBe('+55 11 3333-4444');
  });

  it('writes North American numbers as +1 NXX NXX-XXXX', () => {
    expect(formatPhone('+14155550100')).toBe('+1 415 555-0100');
  });

  it('splits other countries after a one-, two- or three-digit calling code', () => {
    expect(formatPhone('+351912345678')).toBe('+351 912 345 678');
    expect(formatPhone('+34612345678')).toBe('+34 612 345 678');
    expect(formatPhone('+79161234567')).toBe('+7 916 123 4567');
  });

  it('shows anything that is not E.164 as stored', () => {
    expect(formatPhone('(11) 98765-4321')).toBe('(11) 98765-4321');
    expect(formatPhone('+123')).toBe('+123');
    expect(formatPhone(null)).toBe('');
  });
});

describe('countRecords', () => {
  it('counts the rows under the header the way the preview parses them', () => {
    const csv = '\uFEFFNome;Notas\r\nLia;"linha 1\nlinha 2"\r\n\r\nTeo;"com ""aspas"""\nAna;x';
    expect(countRecords(csv)).toBe(3);
    expect(parseCsv(csv).length - 1).toBe(3);
  });

  it('is zero for a header alone or an empty file', () => {
    expect(countRecords('a,b\n')).toBe(0);
    expect(countRecords('')).toBe(0);
  });
});

describe('chart CSV downloads', () => {
  it('neutralise formulas in every cell, the header and what follows a separator included', () => {
    const text = chartCsv([
      ['=HYPERLINK("x")', 'count'],
      ["x;=cmd|' /C calc'!A0", 3],
      ['@SUM(1)', -2],
      [null, '+55 11 98765-4321'],
    ]);
    expect(parseCsv(text)).toEqual([
      ['\'=HYPERLINK("x")', 'count'],
      ["x;'=cmd|' /C calc'!A0", '3'],
      ["'@SUM(1)", '-2'],
      ['', '+55 11 98765-4321'],
    ]);
  });
});
