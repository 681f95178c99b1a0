import { QueryCommand, TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { config } from '../lib/config.js';
import { ddb, tableName } from '../lib/dynamo.js';
import { cancellationCodes } from '../lib/errors.js';
import { contactKey, contactPk, engagementSummaryKey, gsi } from '../data/keys.js';
import { buildProfileEngagement } from './profile-engagement.js';

/**
 * Recomputes a contact's 90-day band from its day items and, when it
 * changed, writes it on the summary (with the rate that decided it) and on
 * the profile item with its index attributes (contact base `?band=`), in
 * one transaction so the two never disagree. Called by the stream processor
 * for contacts whose counters changed and by the hourly window roll for
 * contacts whose oldest day left the window. Writes nothing when nothing
 * changed; a contact that no longer exists is left alone.
 */
export async function refreshEngagementSummary(contactId: string, now = new Date()): Promise<'unchanged' | 'updated' | 'gone'> {
  const items = await queryEngagementItems(contactId);
  const { engagement } = buildProfileEngagement(items, now, config().timezone);
  const summary = items.find((item) => item.type === 'engagementSummary');
  const previousBand = (summary?.band as string | null | undefined) ?? null;
  // Only the band is needed outside the profile (which computes the window at read time), so the
  // snapshot is written when the band moves, not on every counter change.
  if (previousBand === engagement.band) return 'unchanged';
  const next = { rate: engagement.rate, band: engagement.band, windowFrom: engagement.window.from };

  const summaryUpdate = {
    Update: {
      TableName: tableName(),
      Key: engagementSummaryKey(contactId),
      UpdateExpression: 'SET #type = :type, contactId = :cid, rate = :rate, band = :band, windowFrom = :from, refreshedAt = :now',
      ExpressionAttributeNames: { '#type': 'type' },
      ExpressionAttributeValues: {
        ':type': 'engagementSummary',
        ':cid': contactId,
        ':rate': next.rate,
        ':band': next.band,
        ':from': next.windowFrom,
        ':now': now.toISOString(),
      },
    },
  };
  const profileKey = contactKey(contactId);
  let profileItem: NonNullable<TransactWriteCommandInput['TransactItems']>[number];
  if (next.band) {
    const index = gsi.band(next.band, contactId);
    profileItem = {
      Update: {
        TableName: tableName(),
        Key: profileKey,
        ConditionExpression: 'attribute_exists(pk)',
        UpdateExpression: 'SET band = :band, gsi7pk = :gpk, gsi7sk = :gsk',
        ExpressionAttributeValues: { ':band': next.band, ':gpk': index.gsi7pk, ':gsk': index.gsi7sk },
      },
    };
  } else {
    profileItem = {
      Update: { TableName: tableName(), Key: profileKey, ConditionExpression: 'attribute_exists(pk)', UpdateExpression: 'REMOVE band, gsi7pk, gsi7sk' },
    };
  }
  try {
    await ddb().send(new TransactWriteCommand({ TransactItems: [summaryUpdate, profileItem] }));
    return 'updated';
  } catch (error) {
    if (cancellationCodes(error)[1] === 'ConditionalCheckFailed') return 'gone';
    throw error;
  }
}

/** The contact's engagement items (day counters and summary), strongly consistent. */
export async function queryEngagementItems(contactId: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await ddb().send(
      new QueryCommand({
        TableName: tableName(),
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
        ExpressionAttributeValues: { ':pk': contactPk(contactId), ':p': 'P#ENG' },
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      }),
    );
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}
