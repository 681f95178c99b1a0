import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { decodeCursor, encodeCursor } from '../lib/cursor.js';
import { ddb, tableName } from '../lib/dynamo.js';
import { queryFrom, type Item } from './query.js';

/**
 * The tenant's audit log (API.md "Activity and audit"): one item per write
 * a person or an API key made, append-only (written only if its key is
 * new, and no route changes or removes one), kept 400 days by TTL.
 *
 * Entries of a month share a partition (`AUDIT#2026-12`), sorted by time
 * then id, so the log reads newest first month after month and a time
 * range is a key condition. Filters (actor, action) are filter
 * expressions: the log of one tenant is small enough that an admin's
 * question reads a few pages, not the whole table.
 *
 * An entry names people and contacts by id only: the actor's name comes
 * from the user directory when the log is read, and no entry holds a
 * contact's name, phone or email, so an erased contact leaves no personal
 * data here.
 */
export const AUDIT_RETENTION_DAYS = 400;

export interface AuditActor {
  /** A person (a token's sub) or an integration's API key (its id). */
  readonly kind: 'person' | 'apiKey';
  readonly id: string;
}

export interface AuditEntry {
  readonly id: string;
  readonly at: string;
  readonly actor: AuditActor;
  /** `<target type>.<verb>`: `contact.created`, `job.started`… */
  readonly action: string;
  readonly target: { readonly type: string; readonly id: string | null };
  readonly details: Record<string, unknown>;
}

const PARTITION_PREFIX = 'AUDIT#';
const monthOf = (iso: string) => iso.slice(0, 7);
const partitionOf = (month: string) => `${PARTITION_PREFIX}${month}`;

export function auditItem(entry: AuditEntry): Item {
  return {
    pk: partitionOf(monthOf(entry.at)),
    sk: `${entry.at}#${entry.id}`,
    type: 'audit',
    ...entry,
    actorId: entry.actor.id,
    expiresAt: Math.floor(Date.parse(entry.at) / 1000) + AUDIT_RETENTION_DAYS * 86_400,
  };
}

const fromItem = (item: Item): AuditEntry => ({
  id: item.id as string,
  at: item.at as string,
  actor: item.actor as AuditActor,
  action: item.action as string,
  target: item.target as AuditEntry['target'],
  details: (item.details as Record<string, unknown>) ?? {},
});

/** Appends an entry; an entry with the same key is never overwritten. */
export async function putAuditEntry(entry: AuditEntry): Promise<void> {
  await ddb().send(new PutCommand({ TableName: tableName(), Item: auditItem(entry), ConditionExpression: 'attribute_not_exists(pk)' }));
}

export interface AuditQuery {
  /** Inclusive ISO bounds. */
  readonly from: string;
  readonly to: string;
  readonly actor?: string;
  readonly action?: string;
  readonly limit: number;
  readonly cursor?: string;
}

/** Months from `to` back to `from` (YYYY-MM), newest first. */
function monthsBetween(from: string, to: string): string[] {
  const out: string[] = [];
  let [year, month] = monthOf(to).split('-').map(Number);
  const last = monthOf(from);
  for (let guard = 0; guard < 240; guard++) {
    const current = `${year}-${String(month).padStart(2, '0')}`;
    if (current < last) break;
    out.push(current);
    month -= 1;
    if (month === 0) {
      month = 12;
      year -= 1;
    }
  }
  return out;
}

/** Reads per page of answer at most: a narrow filter over a long range answers a short page and a cursor. */
const MAX_READS = 12;

/**
 * A page of the log, newest first, within [from, to] and the filters. The
 * cursor names the month and the last key read in it (signed, so it cannot
 * point a query elsewhere).
 */
export async function auditPage(query: AuditQuery): Promise<{ items: AuditEntry[]; cursor: string | null }> {
  const months = monthsBetween(query.from, query.to);
  const state = decodeCursor(query.cursor, ['m', 'sk'], (s) => months.includes(s.m));
  let index = state ? months.indexOf(state.m) : 0;
  let startKey: Item | undefined = state?.sk ? { pk: partitionOf(state.m), sk: state.sk } : undefined;
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const conditions: string[] = [];
  if (query.actor) {
    names['#actor'] = 'actorId';
    values[':actor'] = query.actor;
    conditions.push('#actor = :actor');
  }
  if (query.action) {
    names['#action'] = 'action';
    values[':action'] = query.action;
    conditions.push('#action = :action');
  }
  const filter = conditions.length ? { FilterExpression: conditions.join(' AND '), ExpressionAttributeNames: names, ExpressionAttributeValues: values } : undefined;
  const items: AuditEntry[] = [];
  for (let reads = 0; index < months.length && reads < MAX_READS; reads++) {
    const month = months[index];
    const { items: found, next } = await queryFrom(
      // `~` sorts after every id: the whole last second of `to` is in range.
      { partition: partitionOf(month), sortBetween: [query.from, `${query.to}~`], limit: query.limit - items.length, filter },
      startKey,
    );
    items.push(...found.map(fromItem));
    if (next) startKey = next;
    else {
      index += 1;
      startKey = undefined;
    }
    if (items.length >= query.limit) break;
  }
  const more = index < months.length;
  return { items, cursor: more ? encodeCursor({ m: months[index], sk: (startKey?.sk as string | undefined) ?? '' }) : null };
}
