import type { Actor, Band, Contact, Named } from './types';

export function contactName(contact: Pick<Contact, 'firstName' | 'lastName' | 'phone' | 'email'> & { name?: string }): string {
  const name = [contact.firstName, contact.lastName].filter(Boolean).join(' ').trim();
  return name || contact.name || contact.phone || contact.email || '';
}

/** Country calling codes of two digits (the others have one, `1` and `7`, or three). */
const TWO_DIGIT_CALLING_CODES = new Set(
  '20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58 60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98'.split(' '),
);

/**
 * An E.164 number written for reading: `+55 11 98765-4321`, `+1 415 555-0100`,
 * elsewhere the country code and groups of three. Anything else is shown as stored.
 */
export function formatPhone(phone: string | null | undefined): string {
  if (!phone) return '';
  if (!/^\+\d{8,15}$/.test(phone)) return phone;
  const digits = phone.slice(1);
  const code = digits[0] === '1' || digits[0] === '7' ? digits[0] : TWO_DIGIT_CALLING_CODES.has(digits.slice(0, 2)) ? digits.slice(0, 2) : digits.slice(0, 3);
  const national = digits.slice(code.length);
  if (code === '55' && (national.length === 10 || national.length === 11)) {
    return `+55 ${national.slice(0, 2)} ${national.slice(2, -4)}-${national.slice(-4)}`;
  }
  if (code === '1' && national.length === 10) return `+1 ${national.slice(0, 3)} ${national.slice(3, 6)}-${national.slice(6)}`;
  const groups: string[] = [];
  let rest = national;
  while (rest.length > 4) {
    groups.push(rest.slice(0, 3));
    rest = rest.slice(3);
  }
  groups.push(rest);
  return `+${code} ${groups.join(' ')}`;
}

export function initials(text: string): string {
  const parts = text.trim().split(/\s+/).filter(Boolean);
  if (parts.length === 0) return '?';
  const first = parts[0]![0] ?? '';
  const last = parts.length > 1 ? (parts[parts.length - 1]![0] ?? '') : '';
  return (first + last).toUpperCase() || '?';
}

export function tagNames(tags: Contact['tags']): string[] {
  return (tags ?? []).map((tag) => (typeof tag === 'string' ? tag : (tag as Named).name)).filter(Boolean);
}

export function contactBand(contact: Pick<Contact, 'band' | 'engagement'>): Band | null {
  return contact.band ?? contact.engagement?.band ?? null;
}

export function debounce<A extends unknown[]>(fn: (...args: A) => void, ms: number): ((...args: A) => void) & { cancel(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const wrapped = (...args: A) => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
  wrapped.cancel = () => timer && clearTimeout(timer);
  return wrapped;
}

/** ISO 3166-1 alpha-2 codes, for the country picker (names come from Intl.DisplayNames). */
export const COUNTRY_CODES = (
  'AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ ' +
  'CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR ' +
  'GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP ' +
  'KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT ' +
  'MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW ' +
  'SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG ' +
  'UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW'
).split(' ');

export const LANGUAGE_TAGS = ['pt-BR', 'pt-PT', 'es', 'en', 'fr', 'de', 'it'];

/** Who did something, as a cell shows them: the directory's name when the API gives it, else the user id. */
export function actorName(actor: Actor | undefined): string {
  if (!actor) return '—';
  return typeof actor === 'string' ? actor : actor.name || actor.sub;
}
