import { createHash } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import { encodeTime } from 'ulid';
import { parseContactFields, type ContactFields, type CustomFieldValue } from '../../shared/contact-schema.js';
import { customFieldKeyFor, isCustomFieldKey } from '../../shared/custom-field-key.js';
import { EXPORT_ONLY_HEADERS, HEADER_SYNONYMS, IMPORT_FIELDS, type ImportField } from '../../shared/csv-headers.js';
import { fold, headerKey } from '../../shared/text.js';
import { checkCustomFields, type CustomFieldDefinition } from '../catalog/custom-fields.js';

/**
 * CSV import, the pure part: reading the file, matching its columns to
 * contact fields, and turning a row into validated contact fields. The job
 * (./types/import-contacts.ts) does the writing.
 */

export type Delimiter = ',' | ';' | '\t';

/** Spreadsheets in Brazil and much of Europe export `;`; the header line (after any blank lines) tells which one the file uses. */
export function detectDelimiter(file: string): Delimiter {
  const text = file.replace(/^(?:[ \t]*\r?\n)+/, '');
  const counts: Record<Delimiter, number> = { ',': 0, ';': 0, '\t': 0 };
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === '\n' || ch === '\r')) break;
    else if (!quoted && ch in counts) counts[ch as Delimiter]++;
  }
  if (counts[';'] > counts[','] && counts[';'] >= counts['\t']) return ';';
  if (counts['\t'] > counts[','] && counts['\t'] > counts[';']) return '\t';
  return ',';
}

export interface ParsedCsv {
  headers: string[];
  /** Data records in file order, blank ones left out. */
  records: string[][];
  /**
   * The spreadsheet row of each record, the way people see the file in a
   * spreadsheet: the header is row 1, blank rows count, a quoted cell with
   * line breaks stays one row.
   */
  rowNumbers: number[];
  delimiter: Delimiter;
}

export class CsvSyntaxError extends Error {}

/**
 * Limits of a CSV import. A gzip upload is a few MB on the wire but may
 * hold far more once inflated: the request is refused (413) past
 * MAX_CSV_BYTES, which is what the job worker can read and parse within its
 * memory (1,000,000 rows of a typical file). Columns and mapping entries
 * are bounded too: a file exported from here has at most 216 columns.
 */
export const CSV_LIMITS = {
  maxBytes: 100 * 1024 * 1024,
  maxRows: 1_000_000,
  maxColumns: 256,
  maxMappingEntries: 256,
  /** The request reads only this much of the file: the header and the start of the rows. */
  headBytes: 64 * 1024,
};

function parseRows(text: string, delimiter: Delimiter): string[][] {
  try {
    return parse(text, { delimiter, bom: true, relax_column_count: true, skip_empty_lines: false, trim: false }) as string[][];
  } catch (error) {
    const line = (error as { lines?: number }).lines;
    throw new CsvSyntaxError(`The file is not valid CSV${line ? ` (near line ${line})` : ''}: ${(error as Error).message.replace(/^Invalid (Record|Opening Quote|Closing Quote)[^:]*:\s*/i, '')}`);
  }
}

const blank = (record: string[]) => record.every((cell) => cell.trim() === '');
const withoutBom = (text: string) => (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);

/**
 * What the request checks of an upload without parsing all of it (the job
 * worker does that): the header, from the first `CSV_LIMITS.headBytes` of
 * the file cut after its last complete record, and that some row follows.
 * `complete` says the head is the whole file.
 */
export function readCsvHead(head: string, complete: boolean): { headers: string[] } | { error: string } {
  const text = withoutBom(head);
  let cut = complete ? text.length : 0;
  if (!complete) {
    let quoted = false;
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      if (ch === '"') quoted = !quoted;
      else if (!quoted && (ch === '\n' || ch === '\r')) cut = i + 1;
    }
  }
  let rows: string[][];
  try {
    rows = parseRows(text.slice(0, cut), detectDelimiter(text));
  } catch (error) {
    if (error instanceof CsvSyntaxError) return { error: error.message };
    throw error;
  }
  const headerIndex = rows.findIndex((record) => !blank(record));
  if (headerIndex < 0) {
    if (complete) return { error: 'The file has no header line.' };
    return { error: `The header line does not end within the first ${CSV_LIMITS.headBytes / 1024} KB of the file (an unclosed quote?).` };
  }
  const headers = rows[headerIndex].map((h) => h.trim());
  if (headers.length > CSV_LIMITS.maxColumns) return { error: `has ${headers.length} columns; at most ${CSV_LIMITS.maxColumns}` };
  const hasRow = rows.slice(headerIndex + 1).some((record) => !blank(record)) || (!complete && /[^\s,;\t"]/.test(text.slice(cut)));
  if (!hasRow) return { error: 'has no rows under the header' };
  return { headers };
}

/** Parses the whole file (in the job worker); a syntax error (an unclosed quote...) rejects the file with the line it is on. */
export function parseCsvText(text: string): ParsedCsv {
  const delimiter = detectDelimiter(withoutBom(text));
  const rows = parseRows(text, delimiter);
  const headerIndex = rows.findIndex((record) => !blank(record));
  if (headerIndex < 0) throw new CsvSyntaxError('The file has no header line.');
  const records: string[][] = [];
  const rowNumbers: number[] = [];
  for (let i = headerIndex + 1; i < rows.length; i++) {
    if (blank(rows[i])) continue;
    records.push(rows[i]);
    rowNumbers.push(i - headerIndex + 1);
  }
  return { headers: rows[headerIndex].map((h) => h.trim()), records, rowNumbers, delimiter };
}

const FIELD_BY_KEY = new Map<string, ImportField>([...IMPORT_FIELDS.map((f) => [headerKey(f), f] as const), ...Object.entries(HEADER_SYNONYMS)]);

export type ColumnTarget = { kind: 'field'; field: ImportField } | { kind: 'custom'; key: string } | { kind: 'ignore' };

export interface ColumnPlan {
  header: string;
  target: ColumnTarget;
}

function mappingTarget(value: unknown, definitions: readonly CustomFieldDefinition[]): ColumnTarget | string {
  if (value === null || value === undefined) return { kind: 'ignore' };
  if (typeof value !== 'string') return 'must be a string';
  const text = value.trim();
  if (text === '' || headerKey(text) === 'ignore') return { kind: 'ignore' };
  const custom = /^(customFields\.|custom:)(.+)$/i.exec(text);
  if (custom) {
    const key = custom[2].trim();
    if (key.length === 0) return 'names a custom field without a key';
    const definition = definitions.find((d) => headerKey(d.key) === headerKey(key) && isCustomFieldKey(d.key));
    return { kind: 'custom', key: definition?.key ?? customFieldKeyFor(key) };
  }
  const field = FIELD_BY_KEY.get(headerKey(text));
  if (field) return { kind: 'field', field };
  return `must be a contact field (${IMPORT_FIELDS.join(', ')}), "customFields.<key>" or "ignore"`;
}

/**
 * Decides what each column holds: `mapping` (header -> target) first, then
 * the header itself matched against the contact fields ignoring case,
 * spaces, `_` and `-`, then custom field definitions by key; the remaining
 * columns become custom fields keyed by their header made a valid key
 * (customFieldKeyFor: "Data de nascimento" -> "dataDeNascimento"), with
 * `_2`, `_3`... when two headers make the same key.
 */
export function planColumns(
  headers: readonly string[],
  mapping: Record<string, unknown> | undefined,
  definitions: readonly CustomFieldDefinition[] = [],
): { columns: ColumnPlan[]; errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  const mapped = new Map<string, ColumnTarget>();
  for (const [header, value] of Object.entries(mapping ?? {})) {
    const matches = headers.filter((h) => h === header.trim()).length > 0 ? [header.trim()] : headers.filter((h) => headerKey(h) === headerKey(header));
    if (matches.length === 0) {
      errors[`mapping.${header}`] = 'no column has this header';
      continue;
    }
    const target = mappingTarget(value, definitions);
    if (typeof target === 'string') errors[`mapping.${header}`] = target;
    else for (const h of matches) mapped.set(h, target);
  }
  const derived = new Set<string>();
  const columns = headers.map((header): ColumnPlan => {
    const explicit = mapped.get(header);
    if (explicit) return { header, target: explicit };
    const key = headerKey(header);
    if (key === '' || EXPORT_ONLY_HEADERS.has(key)) return { header, target: { kind: 'ignore' } };
    const field = FIELD_BY_KEY.get(key);
    if (field) return { header, target: { kind: 'field', field } };
    const definition = definitions.find((d) => headerKey(d.key) === key || headerKey(d.name) === key);
    if (definition && isCustomFieldKey(definition.key)) return { header, target: { kind: 'custom', key: definition.key } };
    const base = customFieldKeyFor(header);
    let own = base;
    for (let n = 2; derived.has(own); n++) own = `${base.slice(0, 63 - String(n).length)}_${n}`;
    derived.add(own);
    return { header, target: { kind: 'custom', key: own } };
  });
  return { columns, errors };
}

/** Catalog lookups a row needs, loaded once per step. Keys are folded names. */
export interface RowContext {
  defaultRegion: string;
  definitions: readonly CustomFieldDefinition[];
  companiesByName: ReadonlyMap<string, { id: string; name: string }>;
  companiesById: ReadonlyMap<string, { id: string; name: string }>;
  departmentsByName: ReadonlyMap<string, { id: string; name: string }>;
  departmentsById: ReadonlyMap<string, { id: string; name: string }>;
}

export interface ValidRow {
  ok: true;
  fields: ContactFields;
  company?: { id: string; name: string };
  department?: { id: string; name: string };
  /** A department named in the row that does not exist yet (the import creates it). */
  newDepartment?: string;
}

export interface InvalidRow {
  ok: false;
  fields: Record<string, string>;
  message: string;
}

/**
 * One CSV record -> validated contact fields, with the same rules as the
 * API (parseContactFields) plus typed custom fields. Empty cells are
 * absent, so an update never clears a field because a cell was blank.
 */
export function validateRow(record: readonly string[], columns: readonly ColumnPlan[], context: RowContext): ValidRow | InvalidRow {
  const input: Record<string, unknown> = {};
  const customFields: Record<string, CustomFieldValue> = {};
  const headerOf: Record<string, string> = {};
  const errors: Record<string, string> = {};
  if (record.length > columns.length && record.slice(columns.length).some((cell) => cell.trim() !== '')) {
    errors.row = `has ${record.length} columns; the header has ${columns.length}`;
  }
  columns.forEach((column, i) => {
    const cell = (record[i] ?? '').trim();
    if (cell === '' || column.target.kind === 'ignore') return;
    if (column.target.kind === 'custom') {
      // Own properties only: a column keyed `constructor` or `toString` is not already there.
      if (!Object.hasOwn(customFields, column.target.key)) customFields[column.target.key] = cell.slice(0, 1000);
      headerOf[`customFields.${column.target.key}`] ??= column.header;
      return;
    }
    const field = column.target.field;
    if (input[field] === undefined) {
      input[field] = cell;
      headerOf[field] = column.header;
    }
  });

  let company: ValidRow['company'];
  let department: ValidRow['department'];
  let newDepartment: string | undefined;
  const companyName = input.company as string | undefined;
  const departmentName = input.department as string | undefined;
  delete input.company;
  delete input.department;
  if (input.companyId !== undefined) {
    company = context.companiesById.get(String(input.companyId));
    if (!company) errors.companyId = 'no company has this id';
  } else if (companyName !== undefined) {
    company = context.companiesByName.get(fold(companyName));
    if (!company) errors.company = `no company is named "${companyName}"`;
  }
  if (input.departmentId !== undefined) {
    department = context.departmentsById.get(String(input.departmentId));
    if (!department) errors.departmentId = 'no department has this id';
  } else if (departmentName !== undefined) {
    department = context.departmentsByName.get(fold(departmentName));
    if (!department) newDepartment = departmentName.slice(0, 100);
  }
  delete input.companyId;
  delete input.departmentId;

  const custom = checkCustomFields(customFields, context.definitions, 'text');
  Object.assign(errors, custom.errors);
  if (Object.keys(custom.values).length > 0) input.customFields = custom.values;
  const parsed = parseContactFields(input, { mode: 'create', defaultRegion: context.defaultRegion });
  if (!parsed.ok) Object.assign(errors, parsed.fields);
  if (Object.keys(errors).length > 0 || !parsed.ok) {
    const message = Object.entries(errors)
      .map(([field, text]) => `${headerOf[field] ?? (field === 'row' ? 'row' : field)}: ${text}`)
      .join('; ');
    return { ok: false, fields: errors, message };
  }
  return { ok: true, fields: parsed.value, company, department, newDepartment };
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function base32(bytes: Uint8Array, length: number): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < length) {
      out += CROCKFORD[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return out.padEnd(length, '0');
}

/**
 * The id the import gives the contact of a row: a ULID with the job's
 * creation time, the row index, and a hash of the job id. Deterministic, so
 * a step redone after a crash finds (or rewrites) the same contact instead
 * of creating a second one; rows sort in file order within the job.
 */
let lastJob: { jobId: string; createdMs: number; time: string; hash: string } | undefined;

export function importContactId(jobId: string, createdMs: number, rowIndex: number): string {
  if (lastJob?.jobId !== jobId || lastJob.createdMs !== createdMs) {
    lastJob = { jobId, createdMs, time: encodeTime(createdMs, 10), hash: base32(createHash('sha256').update(jobId).digest(), 10) };
  }
  let index = '';
  for (let n = rowIndex, i = 0; i < 6; i++, n = Math.floor(n / 32)) index = CROCKFORD[n % 32] + index;
  return `${lastJob.time}${index}${lastJob.hash}`;
}
