/**
 * A cell of a CSV file people open in a spreadsheet. Spreadsheets run a
 * cell that starts with `=`, `@`, `+` or `-` as a formula (`=WEBSERVICE(...)`,
 * `=cmd|' /C calc'!A0`), and one that opens this file with another list
 * separator splits a cell at it: Excel in Portuguese and Spanish splits
 * `x;=cmd|...` at the `;` into a second cell that starts with `=`. So every
 * piece that could become a cell start (the cell's own start, and whatever
 * follows a `,`, `;`, tab or line break, past spaces and quotes) gets a
 * leading apostrophe when it starts a formula. Numbers such as phones
 * (`+55 11 ...`) and negatives stay as they are. Header cells go through
 * this too: custom field keys used to be any text.
 */
export function safeCell(value: string): string {
  const parts = value.split(/([,;\t\r\n])/);
  return parts.map((part, i) => (i % 2 === 0 && (startsFormula(part) || (i === 0 && /^[\t\r]/.test(value))) ? `'${part}` : part)).join('');
}

function startsFormula(piece: string): boolean {
  return /^[\s"]*[=@]/.test(piece) || /^[\s"]*[+-](?![\d\s().-]*$)/.test(piece);
}

/**
 * RFC 4180 rows: a field is quoted when it holds a comma, a quote or a line
 * break (quotes doubled), each row ends with `\n`. Values go through
 * safeCell first where a spreadsheet will open the file.
 */
export function csvRows(rows: readonly (readonly string[])[]): string {
  return rows.map((fields) => fields.map((field) => (/[",\r\n]/.test(field) ? `"${field.replaceAll('"', '""')}"` : field)).join(',') + '\n').join('');
}
