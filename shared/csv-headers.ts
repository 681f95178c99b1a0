/**
 * How a CSV import reads column headers, shared by the API (functions/jobs/csv-import.ts) and the
 * SPA's mapping screen so both offer the same matches. Headers compare folded by `headerKey`
 * (shared/text.ts: no case, accents, spaces, `_` or `-`).
 */

/** Fields a person picks for a column on the mapping screen (names, not ids). */
export const MAPPED_FIELDS = ['firstName', 'lastName', 'phone', 'email', 'country', 'language', 'company', 'department'] as const;
export type MappedField = (typeof MAPPED_FIELDS)[number];

/** Contact fields a column can fill. `company` and `department` take names; the `...Id` ones take ids. */
export const IMPORT_FIELDS = ['firstName', 'lastName', 'phone', 'email', 'country', 'language', 'company', 'companyId', 'department', 'departmentId'] as const;
export type ImportField = (typeof IMPORT_FIELDS)[number];

/** Headers people actually use for the fields, folded by headerKey. */
export const HEADER_SYNONYMS: Record<string, MappedField> = {
  name: 'firstName',
  nome: 'firstName',
  primeironome: 'firstName',
  nombre: 'firstName',
  givenname: 'firstName',
  surname: 'lastName',
  sobrenome: 'lastName',
  apellido: 'lastName',
  familyname: 'lastName',
  phonenumber: 'phone',
  mobile: 'phone',
  telefone: 'phone',
  celular: 'phone',
  telefono: 'phone',
  whatsapp: 'phone',
  mail: 'email',
  emailaddress: 'email',
  correo: 'email',
  pais: 'country',
  idioma: 'language',
  lingua: 'language',
  empresa: 'company',
  companyname: 'company',
  departamento: 'department',
};

/** Columns of our own export (folded) that mean nothing to an import: never contact or custom fields. */
export const EXPORT_ONLY_HEADERS: ReadonlySet<string> = new Set(['id', 'origin', 'originlabel', 'origintype', 'blocked', 'band', 'createdat', 'updatedat', 'assignee']);
