import { tableName } from '../lib/dynamo.js';
import { contactKey } from './keys.js';

/**
 * What a contact's profile item (`CONTACT#<id>` / `P#PROFILE`) is: a
 * contact, or a contact in the recycle bin (./binned-contact.ts). The bin
 * keeps the same item with its type changed and out of every contact index,
 * so whatever looks for a contact by its type treats a binned one as
 * absent, the stream processors included.
 */
export const CONTACT_TYPE = 'contact';
export const BINNED_CONTACT_TYPE = 'binnedContact';

/** The condition a write to a contact's profile (or a ConditionCheck on it) holds on: a contact, not one in the bin. */
export const IS_CONTACT = { expression: '#ct_type = :ct_contact', names: { '#ct_type': 'type' }, values: { ':ct_contact': CONTACT_TYPE } } as const;

/** A transaction's check that the contact is there (and not in the bin), beside a write that hangs off it. */
export const contactCheck = (contactId: string) => ({
  ConditionCheck: {
    TableName: tableName(),
    Key: contactKey(contactId),
    ConditionExpression: IS_CONTACT.expression,
    ExpressionAttributeNames: IS_CONTACT.names,
    ExpressionAttributeValues: IS_CONTACT.values,
  },
});
