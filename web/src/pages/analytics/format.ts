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

/** Hour 0-23 as the reader writes it: "13" or "1 PM" on an axis, "13:00" or "1:00 PM" in full. */
export function hourLabel(hour: number, locale: string, style: 'axis' | 'full' = 'axis'): string {
  const options: Intl.DateTimeFormatOptions = style === 'axis' ? { hour: 'numeric' } : { hour: 'numeric', minute: '2-digit' };
  return format(locale, options).format(new Date(Date.UTC(2023, 0, 1, hour)));
}

/** `2026-03` as the bare month name ("Mar", "mar."). */
export function monthName(month: string, locale: string): string {
  const [y, m] = month.split('-').map(Number);
  return format(locale, { month: 'short' }).format(new Date(Date.UTC(y, m - 1, 1)));
}

/**
 * Axis ticks for counts: whole numbers in steps of 1, 2 or 5 times a power
 * of ten, about `count` of them, from 0 to just above `max`.
 */
export function countTicks(max: number, count = 4): number[] {
  const rough = Math.max(1, max / count);
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = Math.max(1, [1, 2, 5, 10].map((f) => f * power).find((s) => s >= rough) ?? 10 * power);
  const top = Math.max(step, Math.ceil(max / step) * step);
  return Array.from({ length: Math.round(top / step) + 1 }, (_, i) => i * step);
}
