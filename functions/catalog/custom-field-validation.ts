import type { CustomFieldValue } from '../../shared/contact-schema.js';
import { ValidationError } from '../lib/errors.js';
import { listCustomFieldDefinitions } from '../data/catalog-entity.js';
import { checkCustomFields } from './custom-fields.js';

/**
 * Checks a contact's custom field values against the admin's definitions
 * (values of undefined keys pass as they are) and returns them in stored
 * form; a bad value is a 400 on `customFields.<key>`. Reads the
 * definitions only when there are values to check.
 */
export async function validateCustomFieldValues(values: Record<string, CustomFieldValue> | undefined): Promise<Record<string, CustomFieldValue> | undefined> {
  if (!values || Object.keys(values).length === 0) return values;
  const checked = checkCustomFields(values, await listCustomFieldDefinitions(), 'json');
  if (Object.keys(checked.errors).length > 0) throw new ValidationError(checked.errors);
  return checked.values;
}
