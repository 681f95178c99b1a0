import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { Channel } from '../../shared/contact-schema.js';
import { ddb, tableName } from '../lib/dynamo.js';
import { isConditionFailure } from '../lib/errors.js';
import { activityItem } from './activity.js';
import { contactCheck } from './contact-type.js';
import { channelKey } from './keys.js';
import type { Item } from './query.js';

/**
 * A contact's state on a messaging channel: `CONTACT#<id>` / `P#CH#<channel>`,
 * read with the profile. The messaging platform adds `connectedAt` when the
 * contact first writes on it.
 */
export const CHANNEL_TYPE = 'channel';
export type ChannelStatus = 'subscribed' | 'unsubscribed';
export type ChannelState = { status: ChannelStatus; connectedAt?: string; updatedAt?: string };
export type ChannelMap = Partial<Record<Channel, ChannelState>>;

export { channelKey };

export function toChannelItem(contactId: string, channel: string, status: string, now: string): Item {
  return { ...channelKey(contactId, channel), type: CHANNEL_TYPE, contactId, channel, status, updatedAt: now };
}

/** Channel state items of a contact for a map of statuses (create, patch and import set them this way). */
export const channelItems = (contactId: string, channels: Partial<Record<string, string>> | undefined, now: string): Item[] =>
  Object.entries(channels ?? {}).map(([channel, status]) => toChannelItem(contactId, channel, String(status), now));

/** The channel states among a contact's profile items, as the profile shows them. */
export function channelsOf(items: readonly Item[]): ChannelMap {
  const channels: ChannelMap = {};
  for (const item of items) {
    if (item.type !== CHANNEL_TYPE) continue;
    channels[item.channel as Channel] = {
      status: item.status as ChannelStatus,
      ...(item.connectedAt ? { connectedAt: String(item.connectedAt) } : {}),
    };
  }
  return channels;
}

/** Sets a channel's status on an existing contact; false when there is no such contact. */
export async function putChannelStatus(contactId: string, channel: Channel, status: ChannelStatus, now: string): Promise<boolean> {
  try {
    await ddb().send(
      new TransactWriteCommand({
        TransactItems: [
          contactCheck(contactId),
          {
            Update: {
              TableName: tableName(),
              Key: channelKey(contactId, channel),
              UpdateExpression: 'SET #type = :type, contactId = :cid, channel = :ch, #status = :status, updatedAt = :now',
              ExpressionAttributeNames: { '#type': 'type', '#status': 'status' },
              ExpressionAttributeValues: { ':type': CHANNEL_TYPE, ':cid': contactId, ':ch': channel, ':status': status, ':now': now },
            },
          },
          { Put: { TableName: tableName(), Item: activityItem(contactId, status, { channel }, now) } },
        ],
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/** Removes a channel state with its activity entry; nothing (and no entry) when the contact had none on that channel. */
export async function deleteChannel(contactId: string, channel: Channel): Promise<void> {
  try {
    await ddb().send(
      new TransactWriteCommand({
        TransactItems: [
          { Delete: { TableName: tableName(), Key: channelKey(contactId, channel), ConditionExpression: 'attribute_exists(pk)' } },
          { Put: { TableName: tableName(), Item: activityItem(contactId, 'channel_removed', { channel }) } },
        ],
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}
