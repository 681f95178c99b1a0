import { safeCell } from '../../../../shared/csv-cell.js';
import { toCsv } from '../../lib/csv';
import { saveFile } from '../../lib/save-file';

export type CsvRow = readonly (string | number | null)[];

/**
 * The file's text: every cell, header included, goes through the contact
 * export's safeCell, since chart labels carry tenant data (list and tag
 * names, channels) that a spreadsheet must not run as a formula.
 */
export function chartCsv(rows: readonly CsvRow[]): string {
  return toCsv(rows.map((row) => row.map((cell) => safeCell(cell === null ? '' : String(cell)))));
}

/** Saves rows (header first) as a CSV file, with a BOM so spreadsheets read accents right. */
export function downloadCsv(fileName: string, rows: readonly CsvRow[]): void {
  const text = chartCsv(rows);
  saveFile(new Blob(['\ufeff', text], { type: 'text/csv;charset=utf-8' }), fileName);
}
