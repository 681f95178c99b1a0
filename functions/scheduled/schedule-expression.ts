/**
 * EventBridge schedule expressions, as a tenant writes them in a setting
 * (`cron(0 6 * * ? *)`, `rate(12 hours)`): validated here, handed to the
 * EventBridge rule as they are in AWS, and turned into timer times by the
 * local host. Cron fields are minutes, hours, day of month, month, day of
 * week (1-7 = SUN-SAT, or SUN..SAT), year, all in UTC as EventBridge rules
 * read them; `*`, `?`, values, ranges `a-b`, lists `a,b` and steps `a/n` or
 * `*\/n` are understood, the L, W and # forms are not.
 */

export class ScheduleExpressionError extends Error {}

type Field = { min: number; max: number; names?: readonly string[] };

const FIELDS: readonly Field[] = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12, names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] },
  { min: 1, max: 7, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] },
  { min: 1970, max: 2199 },
];
const FIELD_NAMES = ['minutes', 'hours', 'day of month', 'month', 'day of week', 'year'];

export type ParsedSchedule =
  | { kind: 'rate'; everyMs: number }
  | { kind: 'cron'; fields: (Set<number> | 'any')[] };

function value(token: string, field: Field, name: string): number {
  const named = field.names?.indexOf(token.toUpperCase()) ?? -1;
  const n = named >= 0 ? field.min + named : /^\d+$/.test(token) ? Number(token) : NaN;
  if (!Number.isInteger(n) || n < field.min || n > field.max) throw new ScheduleExpressionError(`${name}: "${token}" is not between ${field.min} and ${field.max}`);
  return n;
}

function parseField(text: string, index: number): Set<number> | 'any' {
  const field = FIELDS[index];
  const name = FIELD_NAMES[index];
  if (text === '*' || text === '?') return 'any';
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const [range, stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new ScheduleExpressionError(`${name}: bad step in "${part}"`);
    let from: number;
    let to: number;
    if (range === '*') [from, to] = [field.min, field.max];
    else if (range.includes('-')) {
      const [a, b] = range.split('-');
      [from, to] = [value(a, field, name), value(b, field, name)];
      if (from > to) throw new ScheduleExpressionError(`${name}: empty range "${range}"`);
    } else [from, to] = [value(range, field, name), stepText === undefined ? value(range, field, name) : field.max];
    for (let n = from; n <= to; n += step) out.add(n);
  }
  return out;
}

const RATE_UNITS: Record<string, number> = { minute: 60_000, minutes: 60_000, hour: 3_600_000, hours: 3_600_000, day: 86_400_000, days: 86_400_000 };

/** Parses an EventBridge schedule expression; throws ScheduleExpressionError with a message meant for the operator. */
export function parseScheduleExpression(expression: string): ParsedSchedule {
  const rate = /^rate\(\s*(\d+)\s+([a-z]+)\s*\)$/.exec(expression.trim());
  if (rate) {
    const [n, unit] = [Number(rate[1]), rate[2]];
    // EventBridge wants the singular unit for 1 and the plural for more.
    if (!RATE_UNITS[unit] || n < 1 || (n === 1) === unit.endsWith('s')) {
      throw new ScheduleExpressionError(`"${expression}": use rate(1 minute), rate(5 minutes), rate(1 hour), rate(12 hours), rate(1 day) or similar`);
    }
    return { kind: 'rate', everyMs: n * RATE_UNITS[unit] };
  }
  const cron = /^cron\((.*)\)$/.exec(expression.trim());
  if (!cron) throw new ScheduleExpressionError(`"${expression}" is neither cron(...) nor rate(...)`);
  const parts = cron[1].trim().split(/\s+/);
  if (parts.length !== 6) throw new ScheduleExpressionError(`"${expression}": a cron expression has 6 fields (minutes hours day-of-month month day-of-week year)`);
  if ((parts[2] === '?') === (parts[4] === '?')) {
    throw new ScheduleExpressionError(`"${expression}": exactly one of day-of-month and day-of-week must be "?" (EventBridge's rule)`);
  }
  try {
    return { kind: 'cron', fields: parts.map(parseField) };
  } catch (error) {
    throw new ScheduleExpressionError(`"${expression}": ${(error as Error).message}`);
  }
}

const matches = (field: Set<number> | 'any', n: number) => field === 'any' || field.has(n);

/** The first time strictly after `after` at which the schedule fires (a rate fires `everyMs` after `after`); undefined when never. */
export function nextScheduleTime(expression: string | ParsedSchedule, after: Date): Date | undefined {
  const schedule = typeof expression === 'string' ? parseScheduleExpression(expression) : expression;
  if (schedule.kind === 'rate') return new Date(after.getTime() + schedule.everyMs);
  const [minutes, hours, dom, month, dow, year] = schedule.fields;
  const t = new Date(after.getTime());
  t.setUTCSeconds(0, 0);
  t.setUTCMinutes(t.getUTCMinutes() + 1);
  // Day by day, then hour and minute within a matching day: at most a few years of days.
  for (let days = 0; days < 5 * 366; days++) {
    const dayOk =
      matches(year, t.getUTCFullYear()) && matches(month, t.getUTCMonth() + 1) && matches(dom, t.getUTCDate()) && matches(dow, t.getUTCDay() + 1);
    if (dayOk) {
      for (let h = t.getUTCHours(); h < 24; h++) {
        if (!matches(hours, h)) continue;
        for (let m = h === t.getUTCHours() ? t.getUTCMinutes() : 0; m < 60; m++) {
          if (matches(minutes, m)) return new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate(), h, m));
        }
      }
    }
    t.setUTCDate(t.getUTCDate() + 1);
    t.setUTCHours(0, 0, 0, 0);
  }
  return undefined;
}

/**
 * A daily cron expression (UTC, as EventBridge rules read cron) firing at
 * `hour`:`minute` in `timezone`, with the offset the zone has on `on`: a
 * zone with daylight saving time moves it by an hour until the next deploy.
 */
export function dailyAt(hour: number, minute: number, timezone: string, on = new Date()): string {
  const local = new Intl.DateTimeFormat('en-US', { timeZone: timezone, hourCycle: 'h23', hour: 'numeric', minute: 'numeric' }).formatToParts(on);
  const localMinutes = Number(local.find((p) => p.type === 'hour')?.value) * 60 + Number(local.find((p) => p.type === 'minute')?.value);
  const offset = localMinutes - (on.getUTCHours() * 60 + on.getUTCMinutes());
  const wrapped = (((hour * 60 + minute - offset) % 1440) + 1440) % 1440;
  return `cron(${wrapped % 60} ${Math.floor(wrapped / 60)} * * ? *)`;
}
