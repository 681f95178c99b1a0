/**
 * A small CSV reader for the import preview: RFC 4180 quoting (quoted
 * fields, doubled quotes, line breaks inside quotes), CRLF or LF, and comma
 * or semicolon as the delimiter (spreadsheets in Brazil export `;`).
 */
export type Delimiter = ',' | ';' | '\t';

export function detectDelimiter(text: string): Delimiter {
  const firstLine = firstRecordText(text);
  const counts: Record<Delimiter, number> = { ',': 0, ';': 0, '\t': 0 };
  let quoted = false;
  for (const ch of firstLine) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch in counts) counts[ch as Delimiter]++;
  }
  if (counts[';'] > counts[','] && counts[';'] >= counts['\t']) return ';';
  if (counts['\t'] > counts[','] && counts['\t'] > counts[';']) return '\t';
  return ',';
}

function firstRecordText(text: string): string {
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === '\n' || ch === '\r')) return text.slice(0, i);
  }
  return text;
}

/** Parses the text into rows of fields; stops after `maxRows` rows when given. Blank lines are skipped. */
export function parseCsv(text: string, delimiter: Delimiter = detectDelimiter(text), maxRows = Infinity): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;

  const endRow = () => {
    row.push(field);
    field = '';
    if (!(row.length === 1 && row[0] === '')) rows.push(row);
    row = [];
  };

  for (; i < text.length && rows.length < maxRows; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += ch;
    } else if (ch === '"' && field === '') {
      quoted = true;
    } else if (ch === delimiter) {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      endRow();
    } else field += ch;
  }
  if (rows.length < maxRows && (field !== '' || row.length > 0)) endRow();
  return rows;
}

function quote(value: string): string {
  return /[",\r\n]/.test(value) || /^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** Writes rows as comma-separated CSV (what the import job reads). */
export function toCsv(rows: readonly (readonly string[])[]): string {
  return rows.map((row) => row.map(quote).join(',')).join('\n');
}

/**
 * Counts the data records (after the header) without building them, so a
 * large file can be announced without holding every row in memory. Blank
 * lines are not records, as in parseCsv.
 */
export function countRecords(text: string): number {
  let records = 0;
  let quoted = false;
  let blank = true;
  for (let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 34) {
      quoted = !quoted;
      blank = false;
    } else if (!quoted && (ch === 10 || ch === 13)) {
      if (!blank) records++;
      blank = true;
    } else blank = false;
  }
  if (!blank) records++;
  return Math.max(0, records - 1);
}

/**
 * Reads a file as text: UTF-8 when it is valid UTF-8, otherwise Windows-1252,
 * which is what spreadsheets on Windows save "CSV" as in Brazil and Spain.
 */
export async function readText(file: Blob): Promise<string> {
  const bytes = await file.arrayBuffer();
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return new TextDecoder('windows-1252').decode(bytes);
  }
}

/**
 * Gzips text in the browser and returns it in base64 (the `csvGzipBase64`
 * of an import); `onProgress` follows the bytes read, 0..1.
 */
export async function gzipBase64(text: string, onProgress: (fraction: number) => void): Promise<string> {
  const source = new Blob([text]);
  let read = 0;
  const counter = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      read += chunk.byteLength;
      onProgress(read / source.size);
      controller.enqueue(chunk);
    },
  });
  const compressed = await new Response(
    source.stream().pipeThrough(counter).pipeThrough(new CompressionStream('gzip') as unknown as TransformStream<Uint8Array, Uint8Array>),
  ).blob();
  const dataUrl = await new Promise<string>((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(compressed);
  });
  return dataUrl.slice(dataUrl.indexOf(',') + 1);
}
