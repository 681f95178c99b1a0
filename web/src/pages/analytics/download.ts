import { toCsv } from '../../lib/csv';

export type CsvRow = readonly (string | number | null)[];

/** Saves rows (header first) as a CSV file, with a BOM so spreadsheets read accents right. */
export function downloadCsv(fileName: string, rows: readonly CsvRow[]): void {
  const text = toCsv(rows.map((row) => row.map((cell) => (cell === null ? '' : String(cell)))));
  const blob = new Blob(['\ufeff', text], { type: 'text/csv;charset=utf-8' });
  const href = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = href;
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(href), 10_000);
}
