import { withBackoff } from '../lib/backoff.js';
import { config } from '../lib/config.js';
import { bandAndCountersAndProfile, hasLegacyBand, isBandItem, removeLegacyBand, writeBand } from '../data/contact-band.js';
import { CONTACT_TYPE } from '../data/contact-type.js';
import { contactKey } from '../data/keys.js';
import { buildProfileEngagement } from './profile-engagement.js';

/** Attempts when the band moved under us between our read and our write (the roll and the stream at once). */
const MAX_ATTEMPTS = 4;

/**
 * Recomputes a contact's 90-day band from its day items and, when it
 * differs from the contact's band item (data/contact-band.ts: its own small
 * item, in byBand for the contact base's `?band=`), moves that item: a put
 * in the new band, or a delete when the band becomes null. The write is
 * conditioned on the band it replaces, so the stream and the hourly roll
 * refreshing one contact at once cannot leave an older band behind: the
 * loser reads again. Called by the stream processor for contacts whose
 * delivered or engaged counts changed and by the hourly window roll for
 * contacts whose oldest day left the window. One Query (band item, counters
 * and profile sort together) and, only when the band moves, one write of 2
 * write units (the item and its byBand entry); the profile is not written.
 *
 * A contact in the recycle bin is left alone ('gone'; its band item stays,
 * readers join with live profiles, and a restore refreshes it). A contact
 * with no profile (merged away, purged) is 'gone' too, and its band item,
 * if one is left, is deleted. A profile written before band items existed
 * still carries the snapshot (`band`, `gsi7pk`, `gsi7sk`): its first
 * refresh writes the band item and then removes those attributes, once.
 */
export async function refreshBandSnapshot(contactId: string, now = new Date()): Promise<'unchanged' | 'updated' | 'gone'> {
  return withBackoff(
    async () => {
      const items = await bandAndCountersAndProfile(contactId);
      const profile = items.find((item) => item.sk === contactKey(contactId).sk);
      const stored = items.find(isBandItem);
      const previous = typeof stored?.band === 'string' ? stored.band : null;
      if (!profile) {
        if (stored) await writeBand(contactId, previous, null);
        return 'gone';
      }
      if (profile.type !== CONTACT_TYPE) return 'gone';
      const { engagement } = buildProfileEngagement(items, now, config().timezone);
      const legacy = hasLegacyBand(profile);
      if (previous === engagement.band && !legacy) return 'unchanged';
      // The band item first: while both exist, readers take the band item's (data/contact-band.ts).
      if (previous !== engagement.band) await writeBand(contactId, previous, engagement.band);
      if (legacy) await removeLegacyBand(contactId);
      return 'updated';
    },
    // The band moved under us: read again.
    { attempts: MAX_ATTEMPTS, baseMs: 5, maxMs: 50, retryable: (error) => (error as Error).name === 'ConditionalCheckFailedException' },
  );
}
