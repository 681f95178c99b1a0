import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { withBackoff } from '../lib/backoff.js';
import { config } from '../lib/config.js';
import { ddb, tableName } from '../lib/dynamo.js';
import { engagementCountersAndProfile } from '../data/engagement-state.js';
import { CONTACT_TYPE, IS_CONTACT } from '../data/contact-type.js';
import { contactKey, gsi } from '../data/keys.js';
import { buildProfileEngagement } from './profile-engagement.js';

/** Attempts when the band moved under us between our read and our write (the roll and the stream at once). */
const MAX_ATTEMPTS = 4;

/**
 * Recomputes a contact's 90-day band from its day items and, when it
 * differs from the snapshot on the profile item, moves that snapshot (band
 * and its index attributes, for the contact base's `?band=`). The write is
 * conditioned on the band it replaces, so the stream and the hourly roll
 * refreshing one contact at once cannot leave an older band behind: the
 * loser reads again. Called by the stream processor for contacts whose
 * delivered or engaged counts changed and by the hourly window roll for
 * contacts whose oldest day left the window. One Query and, only when the
 * band moves, one UpdateItem; a contact that no longer exists is left alone.
 */
export async function refreshBandSnapshot(contactId: string, now = new Date()): Promise<'unchanged' | 'updated' | 'gone'> {
  return withBackoff(
    async () => {
      const items = await engagementCountersAndProfile(contactId);
      const profile = items.find((item) => item.sk === contactKey(contactId).sk);
      if (!profile || profile.type !== CONTACT_TYPE) return 'gone';
      const { engagement } = buildProfileEngagement(items, now, config().timezone);
      const previous = typeof profile.band === 'string' ? profile.band : null;
      if (previous === engagement.band) return 'unchanged';
      await ddb().send(new UpdateCommand(bandUpdate(contactId, previous, engagement.band)));
      return 'updated';
    },
    // The band moved under us: read again.
    { attempts: MAX_ATTEMPTS, baseMs: 5, maxMs: 50, retryable: (error) => (error as Error).name === 'ConditionalCheckFailedException' },
  );
}

function bandUpdate(contactId: string, previous: string | null, band: string | null) {
  const expected = previous === null ? 'attribute_not_exists(band)' : 'band = :prev';
  const base = {
    TableName: tableName(),
    Key: contactKey(contactId),
    // A contact, not one in the recycle bin: a bin between our read and this write leaves its band alone.
    ConditionExpression: `${IS_CONTACT.expression} AND ${expected}`,
    ExpressionAttributeNames: IS_CONTACT.names,
  };
  const prev = previous === null ? {} : { ':prev': previous };
  if (band === null) {
    return { ...base, UpdateExpression: 'REMOVE band, gsi7pk, gsi7sk', ExpressionAttributeValues: { ...IS_CONTACT.values, ...prev } };
  }
  const index = gsi.band(band, contactId);
  return {
    ...base,
    UpdateExpression: 'SET band = :band, gsi7pk = :gpk, gsi7sk = :gsk',
    ExpressionAttributeValues: { ...IS_CONTACT.values, ...prev, ':band': band, ':gpk': index.gsi7pk, ':gsk': index.gsi7sk },
  };
}
