import { ulid } from 'ulid';
import type { Channel } from '../../shared/contact-schema.js';
import { CHANNEL_TYPE } from '../data/channel.js';
import { CONTACT_TYPE, contactsPage, profileItemOf, profileItems, type ContactIndex } from '../data/contact.js';
import { dispatchesPage, fromDispatchItem, putDispatch, SHOWN_DISPATCH_STATUSES, type Dispatch, type DispatchStatus } from '../data/dispatch.js';
import { NotFoundError, ValidationError } from '../lib/errors.js';
import type { Principal } from '../lib/http.js';
import { publishDispatch } from '../lib/outbound.js';
import { DISPATCH_MERGE_MARKER_SK, dispatchesDuringMerge, MERGE_MARKER_TYPE, mergeOfDispatchCursor } from '../merge/merge-reads.js';

/** Channels that reach a person by phone number; `email` reaches them by address. */
const PHONE_CHANNELS: readonly Channel[] = ['sms', 'whatsapp', 'rcs'];

/**
 * Blocks hold (API.md): whether any blocked contact holds the phone (SMS,
 * WhatsApp, RCS) or the email (email) this channel would reach, so a
 * second contact with the same number cannot bring the person back.
 */
async function reachesBlockedPerson(profile: Record<string, unknown>, channel: Channel): Promise<boolean> {
  const index: ContactIndex | undefined =
    PHONE_CHANNELS.includes(channel) && typeof profile.phone === 'string' ? { by: 'phone', e164: profile.phone }
    : channel === 'email' && typeof profile.email === 'string' ? { by: 'email', email: profile.email }
    : undefined;
  if (!index) return false;
  let cursor: string | undefined;
  do {
    const page = await contactsPage(index, { limit: 100, cursor }, { blocked: true }, { bands: false });
    if (page.items.length > 0) return true;
    cursor = page.cursor ?? undefined;
  } while (cursor);
  return false;
}

/**
 * Records a dispatch. A blocked contact (or a phone or email a blocked
 * contact holds) or an unsubscribed channel gives a
 * `sending_error` dispatch (never a message sent); a queued one goes to the
 * messaging platform.
 */
/** Sends `text` over `channel` (the route's schema parsed both) to the contact, unless it cannot be reached there. */
export async function sendMessage(contactId: string, { channel, text }: { channel: Channel; text: string }, principal: Principal) {
  const items = await profileItems(contactId);
  const profile = profileItemOf(items);
  if (!profile || profile.type !== CONTACT_TYPE) throw new NotFoundError('contact');
  const channelState = items.find((item) => item.type === CHANNEL_TYPE && item.channel === channel);
  let status: DispatchStatus = 'queued';
  let reason: Dispatch['reason'];
  if (profile.blocked === true || (await reachesBlockedPerson(profile, channel))) {
    status = 'sending_error';
    reason = 'blocked';
  } else if (channelState?.status === 'unsubscribed') {
    status = 'sending_error';
    reason = 'unsubscribed';
  }
  const id = ulid();
  const at = new Date().toISOString();
  await putDispatch({ id, contactId, channel, status, ...(reason ? { reason } : {}), at, text, by: principal.sub });
  if (status === 'queued') {
    await publishDispatch({ id, contactId, channel, text, to: { phone: profile.phone as string | undefined, email: profile.email as string | undefined }, at });
  }
  return { id, status, ...(reason ? { reason } : {}) };
}

/**
 * The dispatch report, newest first: the base's or one contact's, by
 * shown status. A contact's report that meets a merge marker (or goes on
 * from a page made during a merge) reads the merge's contacts together
 * (functions/merge/merge-reads.ts).
 */
export async function listDispatches(query: { contactId?: string; status?: string; limit: number; cursor?: string }) {
  if (query.status !== undefined && !(SHOWN_DISPATCH_STATUSES as readonly string[]).includes(query.status)) {
    throw new ValidationError({ status: 'is not a dispatch status' });
  }
  const { contactId } = query;
  const merging = contactId ? mergeOfDispatchCursor(query.cursor, contactId) : undefined;
  if (contactId && merging) return dispatchesDuringMerge({ ...query, contactId }, merging, fromDispatchItem);
  const page = await dispatchesPage({ ...query, passType: MERGE_MARKER_TYPE });
  const first = page.items[0];
  if (contactId && first?.sk === DISPATCH_MERGE_MARKER_SK) return dispatchesDuringMerge({ ...query, contactId }, String(first.mergeId), fromDispatchItem);
  return { items: page.items.map(fromDispatchItem), cursor: page.cursor };
}
