import { describe, expect, it } from 'vitest';
import { checkCustomFields, coerceCustomValue, type CustomFieldDefinition } from '../../functions/catalog/custom-fields.js';
import { CSV_LIMITS, detectDelimiter, importContactId, parseCsvText, planColumns, readCsvHead, validateRow, type RowContext } from '../../functions/jobs/csv-import.js';
import { safeCell } from '../../shared/csv-cell.js';
import { CUSTOM_FIELD_KEY, customFieldKeyFor } from '../../shared/custom-field-key.js';

const definition = (key: string, type: CustomFieldDefinition['type'], choices?: string[]): CustomFieldDefinition => ({ id: key, name: key, key, type, choices, createdAt: '' });

const context = (overrides: Partial<RowContext> = {}): RowContext => ({
  defaultRegion: 'BR',
  definitions: [],
  companiesByName: new Map([['acme varejo', { id: 'c1', name: 'Acme Varejo' }]]),
  companiesById: new Map([['c1', { id: 'c1', name: 'Acme Varejo' }]]),
  departmentsByName: new Map([['vendas', { id: 'd1', name: 'Vendas' }]]),
  departmentsById: new Map([['d1', { id: 'd1', name: 'Vendas' }]]),
  ...overrides,
});

const targets = (headers: string[], mapping?: Record<string, unknown>, definitions: CustomFieldDefinition[] = []) => {
  const plan = planColumns(headers, mapping, definitions);
  return { errors: plan.errors, targets: plan.columns.map((c) => (c.target.kind === 'field' ? c.target.field : c.target.kind === 'custom' ? `custom:${c.target.key}` : 'ignore')) };
};

describe('CSV header matching', () => {
  it('matches contact fields ignoring case, spaces, _ and -', () => {
    expect(targets(['first_name', 'First Name', 'firstName', 'LAST-NAME', 'Phone', 'e-mail', ' Country ', 'language']).targets).toEqual([
      'firstName', 'firstName', 'firstName', 'lastName', 'phone', 'email', 'country', 'language',
    ]);
  });

  it('knows the headers people use in Portuguese and Spanish', () => {
    expect(targets(['Nome', 'Sobrenome', 'Celular', 'Telefone', 'Correo', 'País', 'Empresa', 'Departamento']).targets).toEqual([
      'firstName', 'lastName', 'phone', 'phone', 'email', 'country', 'company', 'department',
    ]);
  });

  it('applies the mapping first, by exact or folded header, and rejects unknown targets and headers', () => {
    const plan = targets(['Cel', 'Nome Completo', 'Código', 'Obs'], { cel: 'phone', 'Nome Completo': 'first name', Código: 'customFields.code', Obs: 'ignore' });
    expect(plan.errors).toEqual({});
    expect(plan.targets).toEqual(['phone', 'firstName', 'custom:code', 'ignore']);
    const bad = targets(['Cel'], { Cel: 'telephone', Missing: 'phone', Other: 42 });
    expect(Object.keys(bad.errors).sort()).toEqual(['mapping.Cel', 'mapping.Missing', 'mapping.Other']);
  });

  it('turns remaining columns into custom fields, matching definitions by key or name, and ignores export-only columns', () => {
    const plan = targets(['Plano Contratado', 'points', 'Pontos Extra', 'id', 'createdAt', 'originLabel', ''], undefined, [definition('plano_contratado', 'text'), { ...definition('bonus', 'number'), name: 'Pontos extra' }]);
    expect(plan.targets).toEqual(['custom:plano_contratado', 'custom:points', 'custom:bonus', 'ignore', 'ignore', 'ignore', 'ignore']);
  });
  it('keys a custom field column by a valid key: its header when it is one, else the header made one', () => {
    const plan = targets(['birthDate', 'Data de nascimento', '=WEBSERVICE("http://x")', '2º contato', '@SUM(1)', 'Notas', 'notas!', '日本']);
    expect(plan.targets).toEqual(['custom:birthDate', 'custom:dataDeNascimento', 'custom:webserviceHttpX', 'custom:field2Contato', 'custom:sum1', 'custom:Notas', 'custom:notas', 'custom:field']);
    const keys = plan.targets.map((t) => t.slice('custom:'.length));
    for (const key of keys) expect(key).toMatch(CUSTOM_FIELD_KEY);
    // Two headers that make the same key keep apart.
    expect(targets(['Data nasc', 'data-nasc', 'DATA NASC']).targets).toEqual(['custom:dataNasc', 'custom:dataNasc_2', 'custom:dataNasc_3']);
  });

  it('makes a mapping\'s customFields.<name> a valid key too (the SPA sends headers there)', () => {
    const plan = targets(['Data de nascimento', 'Código'], { 'Data de nascimento': 'customFields.Data de nascimento', Código: 'customFields.=1+1' });
    expect(plan.errors).toEqual({});
    expect(plan.targets).toEqual(['custom:dataDeNascimento', 'custom:field11']);
    expect(customFieldKeyFor('x'.repeat(80))).toHaveLength(64);
  });

  it('keeps columns named like Object.prototype\'s properties (constructor, toString), under a key that can be stored', () => {
    const columns = planColumns(['firstName', 'constructor', 'toString', 'hasOwnProperty'], undefined, []).columns;
    const result = validateRow(['Ana', 'c', 't', 'h'], columns, context());
    expect(result).toMatchObject({ ok: true, fields: { customFields: { constructor_: 'c', toString_: 't', hasOwnProperty_: 'h' } } });
    // A column aimed at such a key (a definition made before they were set apart) is reported, not dropped (own-property check, not `in`).
    const legacy = validateRow(['Ana', 't'], [columns[0], { header: 'toString', target: { kind: 'custom', key: 'toString' } }], context());
    expect(legacy).toMatchObject({ ok: false, fields: { 'customFields.toString': expect.any(String) } });
  });
});

describe('CSV reading', () => {
  it('detects the delimiter from the header line, ignoring quoted ones', () => {
    expect(detectDelimiter('a;b;c\n1,2;3')).toBe(';');
    expect(detectDelimiter('"x;y",b,c\n')).toBe(',');
    expect(detectDelimiter('a\tb\tc')).toBe('\t');
  });

  it('reads quoted fields, CRLF, a BOM and skips blank lines', () => {
    const parsed = parseCsvText('\ufeffName;Note\r\n"Silva; Ana";"said ""hi""\nthen left"\r\n\r\n;;\r\nBia;ok\r\n');
    expect(parsed.headers).toEqual(['Name', 'Note']);
    expect(parsed.records).toEqual([['Silva; Ana', 'said "hi"\nthen left'], ['Bia', 'ok']]);
  });

  it('numbers rows as a spreadsheet shows them: header row 1, blank rows counted, a multi-line cell one row', () => {
    const parsed = parseCsvText('name,note\nAna,"two\nlines"\n\n,\nBia,x\n');
    expect(parsed.records.map((r) => r[0])).toEqual(['Ana', 'Bia']);
    expect(parsed.rowNumbers).toEqual([2, 5]);
  });

  it('rejects a file with an unclosed quote or no header', () => {
    expect(() => parseCsvText('a,b\n"open,1\n')).toThrow(/not valid CSV/);
    expect(() => parseCsvText('\n\n')).toThrow(/header/);
  });
});

describe('the start of an upload, as the request reads it', () => {
  it('reads the header from complete records only, whatever delimiter', () => {
    expect(readCsvHead('\ufeff\nnome;telefone\nAna;11', true)).toEqual({ headers: ['nome', 'telefone'] });
    // A head cut in the middle of a quoted cell: the partial record is left for the worker.
    expect(readCsvHead('firstName,notes\nAna,"line one\nline tw', false)).toEqual({ headers: ['firstName', 'notes'] });
    expect(readCsvHead('firstName,notes\n\n\n', false)).toEqual({ error: 'has no rows under the header' });
  });

  it('refuses a file with no rows, too many columns, or a header that never ends', () => {
    expect(readCsvHead('phone,name\n,\n', true)).toEqual({ error: 'has no rows under the header' });
    expect(readCsvHead('\n \n', true)).toEqual({ error: 'The file has no header line.' });
    expect('error' in readCsvHead('phone,"name\n1,2', true)).toBe(true);
    expect(readCsvHead(`a,"${'x'.repeat(100)}`, false)).toEqual({ error: expect.stringMatching(/does not end within the first 64 KB/) });
    const wide = Array.from({ length: CSV_LIMITS.maxColumns + 1 }, (_, i) => `c${i}`).join(',');
    expect(readCsvHead(`${wide}\n1\n`, true)).toEqual({ error: `has ${CSV_LIMITS.maxColumns + 1} columns; at most ${CSV_LIMITS.maxColumns}` });
  });
});

describe('row validation', () => {
  const columns = planColumns(['firstName', 'phone', 'email', 'company', 'department', 'points', 'plan'], undefined, []).columns;
  const row = (cells: string[], ctx = context({ definitions: [definition('points', 'number'), definition('plan', 'choice', ['Básico', 'Pro'])] })) => validateRow(cells, columns, ctx);

  it('normalizes like the API: E.164 phone, lower-case email, country from the phone', () => {
    const result = row(['  Ana ', '(11) 98765-4321', 'Ana@Example.COM', 'ACME VAREJO', 'vendas', '10', 'pro']);
    expect(result).toEqual({
      ok: true,
      fields: { firstName: 'Ana', phone: '+5511987654321', email: 'ana@example.com', country: 'BR', customFields: { points: 10, plan: 'Pro' } },
      company: { id: 'c1', name: 'Acme Varejo' },
      department: { id: 'd1', name: 'Vendas' },
      newDepartment: undefined,
    });
  });

  it('reports every bad cell under its header, and needs a first name, phone or email', () => {
    const result = row(['Bia', '123', 'nope', 'Unknown Co', '', 'many', 'Gold']);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(Object.keys(result.fields).sort()).toEqual(['company', 'customFields.plan', 'customFields.points', 'email', 'phone']);
    expect(result.message).toContain('phone: is not a valid phone number');
    expect(result.message).toContain('company: no company is named "Unknown Co"');
    const empty = row(['', '', '', '', '', '', '']);
    expect(empty.ok).toBe(false);
    if (!empty.ok) expect(empty.fields.firstName).toMatch(/required/);
  });

  it('leaves empty cells out (an update never blanks a field) and names new departments', () => {
    const result = row(['', '', 'x@y.co', '', 'Financeiro', '', '']);
    expect(result).toMatchObject({ ok: true, fields: { email: 'x@y.co' }, newDepartment: 'Financeiro', department: undefined });
    if (result.ok) expect(result.fields).not.toHaveProperty('customFields');
  });

  it('refuses a row with more cells than the header has columns', () => {
    const result = row(['Ana', '', '', '', '', '', '', 'extra']);
    expect(result.ok).toBe(false);
  });
});

describe('typed custom fields', () => {
  it('reads numbers, booleans, dates and choices from CSV text', () => {
    expect(coerceCustomValue({ type: 'number' }, '1.234,56', 'text')).toEqual({ value: 1234.56 });
    expect(coerceCustomValue({ type: 'number' }, '1,234.56', 'text')).toEqual({ value: 1234.56 });
    expect(coerceCustomValue({ type: 'boolean' }, 'Sim', 'text')).toEqual({ value: true });
    expect(coerceCustomValue({ type: 'boolean' }, 'não', 'text')).toEqual({ value: false });
    expect(coerceCustomValue({ type: 'date' }, '17/05/1990', 'text')).toEqual({ value: '1990-05-17' });
    expect(coerceCustomValue({ type: 'date' }, '31/02/1990', 'text')).toHaveProperty('error');
    expect(coerceCustomValue({ type: 'choice', choices: ['Básico'] }, 'BASICO', 'text')).toEqual({ value: 'Básico' });
  });

  it('wants JSON types from API bodies', () => {
    expect(coerceCustomValue({ type: 'number' }, '12', 'json')).toEqual({ error: 'must be a number' });
    expect(coerceCustomValue({ type: 'boolean' }, 'true', 'json')).toEqual({ error: 'must be true or false' });
    expect(coerceCustomValue({ type: 'date' }, '17/05/1990', 'json')).toHaveProperty('error');
    expect(coerceCustomValue({ type: 'date' }, '1990-05-17T10:00:00Z', 'json')).toEqual({ value: '1990-05-17' });
    expect(coerceCustomValue({ type: 'text' }, null, 'json')).toEqual({ value: null });
    expect(checkCustomFields({ points: 3, other: 'free' }, [definition('points', 'number')], 'json')).toEqual({ values: { points: 3, other: 'free' }, errors: {} });
  });
});

describe('import ids and export cells', () => {
  it('gives each row a deterministic ULID in file order', () => {
    const a = importContactId('JOB1', Date.UTC(2026, 0, 1), 0);
    expect(a).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(importContactId('JOB1', Date.UTC(2026, 0, 1), 0)).toBe(a);
    expect(importContactId('JOB1', Date.UTC(2026, 0, 1), 1) > a).toBe(true);
    expect(importContactId('JOB2', Date.UTC(2026, 0, 1), 0)).not.toBe(a);
  });

  it('defuses formula cells but keeps phone numbers and negatives', () => {
    expect(safeCell('=SUM(A1)')).toBe("'=SUM(A1)");
    expect(safeCell('@cmd')).toBe("'@cmd");
    expect(safeCell('+cmd|x')).toBe("'+cmd|x");
    expect(safeCell('+5511987654321')).toBe('+5511987654321');
    expect(safeCell('-12.5')).toBe('-12.5');
    expect(safeCell('Ana')).toBe('Ana');
  });

  it('defuses a formula start after a separator, where a spreadsheet with another list separator splits the cell', () => {
    expect(safeCell("x;=cmd|' /C calc'!A0")).toBe("x;'=cmd|' /C calc'!A0");
    expect(safeCell('a,=1+1')).toBe("a,'=1+1");
    expect(safeCell('a;  @SUM(1)')).toBe("a;'  @SUM(1)");
    expect(safeCell('a;"=HYPERLINK(1)"')).toBe('a;\'"=HYPERLINK(1)"');
    expect(safeCell('a\t-cmd')).toBe("a\t'-cmd");
    expect(safeCell('line\n=1+1')).toBe("line\n'=1+1");
    expect(safeCell('\tleading tab')).toBe("'\tleading tab");
    expect(safeCell('+55 11 98765-4321; -12,5')).toBe('+55 11 98765-4321; -12,5');
    expect(safeCell('Silva, Ana; São Paulo')).toBe('Silva, Ana; São Paulo');
  });
});
