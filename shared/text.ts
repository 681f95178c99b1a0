/** Case- and accent-insensitive form of a name, used for search keys: "Élodie" -> "elodie". */
export function fold(value: string): string {
  return value
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();
}

/** Header matching for CSV imports: ignores case, spaces, `_` and `-`. */
export function headerKey(value: string): string {
  return fold(value).replace(/[\s_-]+/g, '');
}
