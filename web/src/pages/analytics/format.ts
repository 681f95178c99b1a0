/** Labels the charts need beyond lib/i18n: months, short weekdays and hours in the reader's language. */
const cache = new Map<string, Intl.DateTimeFormat>();

function format(locale: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale}|${JSON.stringify(options)}`;
  let f = cache.get(key);
  if (!f) cache.set(key, (f = new Intl.DateTimeFormat(locale, { ...options, timeZone: 'UTC' })));
  return f;
}

/** `2026-03` as "Mar 2026" (short) or "March 2026" (long). */
export function monthLabel(month: string, locale: string, style: 'short' | 'long' = 'short'): string {
  const [y, m] = month.split('-').map(Number);
  return format(locale, { month: style, year: 'numeric' }).format(new Date(Date.UTC(y, m - 1, 1)));
}

/** Weekday 0 = Sunday, as "Sun" or "Sunday". */
export function weekdayLabel(index: number, locale: string, style: 'short' | 'long' = 'short'): string {
  return format(locale, { weekday: style }).format(new Date(Date.UTC(2023, 0, 1 + index)));
}

/** Hour 0-23 as the reader writes it ("13:00" or "1 PM"). */
export function hourLabel(hour: number, locale: string): string {
  return format(locale, { hour: 'numeric' }).format(new Date(Date.UTC(2023, 0, 1, hour)));
}

/** A round upper bound for an axis: 1, 2, 2.5 or 5 times a power of ten. */
export function niceMax(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (value <= step * power) return step * power;
  return 10 * power;
}
