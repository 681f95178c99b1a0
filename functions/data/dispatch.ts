import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { activityItem } from './activity.js';
import { ddb, tableName } from '../lib/dynamo.js';
import { contactPk, dispatchKey, gsi } from './keys.js';
import { queryFrom, queryIndexPage, type Item, type Page } from './query.js';

/**
 * A message sent to a contact: `CONTACT#<id>` / `H#DSP#<dispatchId>` in the
 * contact's history, and in byType (`DISPATCH`, <dispatchId>) for the
 * report across the base, newest first. The messaging platform's delivery
 * reports add `deliveryStatus`, which is then the status shown.
 */
export const DISPATCH_TYPE = 'dispatch';
/** byType partition of dispatches. */
const DISPATCHES = 'DISPATCH';
/** Sort-key prefix of a contact's dispatches. */
export const DISPATCH_PREFIX = dispatchKey('', '').sk;

/** The status a dispatch is written with; delivery reports move the shown one on. */
export type DispatchStatus = 'queued' | 'sending_error';
/** Every status a dispatch can show. */
export const SHOWN_DISPATCH_STATUSES = ['queued', 'sending_error', 'sent', 'delivered', 'read', 'clicked', 'replied', 'failed'] as const;

export interface Dispatch {
  id: string;
  contactId: string;
  channel: string;
  status: DispatchStatus;
  reason?: 'blocked' | 'unsubscribed';
  at: string;
  text: string;
  by: string;
}

export function toDispatchItem(dispatch: Dispatch): Item {
  return { ...dispatchKey(dispatch.contactId, dispatch.id), type: DISPATCH_TYPE, ...dispatch, ...gsi.byType(DISPATCHES, dispatch.id) };
}

/** The public JSON of a dispatch: the delivery status when there is one. */
export const fromDispatchItem = (item: Item) => ({
  id: item.id,
  contactId: item.contactId,
  channel: item.channel,
  status: item.deliveryStatus ?? item.status,
  ...(item.reason ? { reason: item.reason } : {}),
  at: item.at,
  ...(item.text ? { text: item.text } : {}),
});

export async function putDispatch(dispatch: Dispatch): Promise<void> {
  // The contact's `message_sent` entry goes with it (the channel and outcome, never the text).
  const entry = activityItem(dispatch.contactId, 'message_sent', { channel: dispatch.channel, dispatchId: dispatch.id, status: dispatch.status }, dispatch.at);
  await ddb().send(new TransactWriteCommand({ TransactItems: [{ Put: { TableName: tableName(), Item: toDispatchItem(dispatch) } }, { Put: { TableName: tableName(), Item: entry } }] }));
}

/**
 * A page of dispatch items, newest first: one contact's (its history
 * range) or the whole base's (byType). With `status`, only those showing
 * it; items of type `passType` pass that filter too (merge markers, which
 * the reader has to see).
 */
export async function dispatchesPage(query: { contactId?: string; status?: string; passType?: string; limit: number; cursor?: string }): Promise<Page<Item>> {
  const names: Record<string, string> = {};
  const values: Item = {};
  let filter: string | undefined;
  if (query.status) {
    filter = '(deliveryStatus = :status OR (attribute_not_exists(deliveryStatus) AND #status = :status)';
    names['#status'] = 'status';
    values[':status'] = query.status;
    if (query.passType) {
      filter += ' OR #type = :passType';
      names['#type'] = 'type';
      values[':passType'] = query.passType;
    }
    filter += ')';
  }
  const range = query.contactId ? { partition: contactPk(query.contactId), sortPrefix: DISPATCH_PREFIX } : { index: 'byType' as const, partition: DISPATCHES };
  return queryIndexPage({
    ...range,
    limit: query.limit,
    cursor: query.cursor,
    filter: filter ? { FilterExpression: filter, ExpressionAttributeNames: names, ExpressionAttributeValues: values } : undefined,
  });
}

/** A raw page of a contact's dispatches below sort key `below`, newest first, for readers that keep their own position. */
export async function contactDispatchesBelow(contactId: string, below: string | undefined, limit: number, options: { consistent?: boolean } = {}) {
  const start = below === undefined ? undefined : { pk: contactPk(contactId), sk: below };
  return queryFrom({ partition: contactPk(contactId), sortPrefix: DISPATCH_PREFIX, limit, consistent: options.consistent }, start);
}
