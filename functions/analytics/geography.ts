import { parsePhoneNumberFromString } from 'libphonenumber-js/core';
import { areaCodeOf, stateOfAreaCode } from '../../shared/area-codes.js';
// The metadata without number formats (shared/phone.ts): the country of a number needs no formatting.
import { PHONE_METADATA } from '../../shared/phone-metadata.js';

/**
 * Where a contact counts on the geography chart, as one string so it can be
 * an attribute name of the geography counter item: `BR:SP` for a Brazilian
 * phone (state from the DDD), `BR:` for a Brazilian phone whose DDD names
 * no state, `AR:` for any other country. Contacts without a phone have no
 * place on the chart (undefined).
 */
export function geoKeyOf(contact: { phone?: unknown; country?: unknown }): string | undefined {
  const phone = typeof contact.phone === 'string' ? contact.phone : '';
  if (!phone) return undefined;
  if (phone.startsWith('+55')) {
    const ddd = areaCodeOf(phone);
    return `BR:${(ddd && stateOfAreaCode(ddd)) ?? ''}`;
  }
  // +1 and a few other codes are shared by several countries; the number itself says which.
  const country = parsePhoneNumberFromString(phone, PHONE_METADATA)?.country ?? (typeof contact.country === 'string' && contact.country ? contact.country : 'ZZ');
  return `${country}:`;
}

export function parseGeoKey(key: string): { country: string; state: string | null } {
  const [country, state] = key.split(':');
  return { country, state: state || null };
}
