import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { catalogMemberDelete, clearContactRef, deleteCatalogMember, renameContactRef, toCatalogMemberItem } from '../data/catalog-member.js';
import { catalogKey, contactIdFromPk, isContactProfileKey } from '../data/keys.js';
import { batchGetItems } from '../lib/dynamo.js';
import { logger } from '../lib/logger.js';
import { failuresOf, type StreamProcessor } from '../streams/processors.js';
import { batchWriteAll } from '../lib/dynamo-batch.js';
import { inParallel } from '../lib/concurrency.js';

type Kind = 'company' | 'department';
const KINDS: Kind[] = ['company', 'department'];
type Ref = { id: string; name: string } | undefined;

const image = (value: unknown): Record<string, unknown> | undefined => (value ? unmarshall(value as Record<string, AttributeValue>) : undefined);

function refOf(item: Record<string, unknown> | undefined, kind: Kind): Ref {
  if (!item || item.type !== 'contact') return undefined;
  const ref = item[kind] as { id?: unknown; name?: unknown } | undefined;
  return ref && typeof ref.id === 'string' ? { id: ref.id, name: String(ref.name ?? '') } : undefined;
}

const sameRef = (a: Ref, b: Ref) => a?.id === b?.id && a?.name === b?.name;

function touchesRefs(record: DynamoDBRecord): boolean {
  const before = image(record.dynamodb?.OldImage);
  const after = image(record.dynamodb?.NewImage);
  return KINDS.some((kind) => !sameRef(refOf(before, kind), refOf(after, kind)));
}

/** Current names of the given companies/departments (strongly consistent); a missing key means it was deleted. */
async function currentNames(refs: { kind: Kind; id: string }[]): Promise<Map<string, string>> {
  const items = await batchGetItems(refs.map((r) => catalogKey(r.kind, r.id)), { consistent: true });
  return new Map(items.map((item) => [String(item.pk), String(item.name)]));
}

/**
 * Keeps the member items of companies and departments (`COMPANY#<id>` /
 * `M#<contactId>`) in step with the `{id, name}` copy on contact profiles,
 * so a rename or delete finds the contacts with one consistent Query
 * instead of a scan. It works from the batch's images (each contact's last
 * state wins; replays write the same items) and then, after the member
 * items are written, reads the catalog: a contact that picked up a name a
 * rename had just replaced, or a company deleted meanwhile, is corrected
 * here. Writing first and reading second closes the race with the rename
 * job: either the job's Query sees the member, or this read sees the new name.
 */
export const catalogRefsProcessor: StreamProcessor = {
  name: 'catalog-refs',
  claims: (record) => isContactProfileKey({ pk: record.dynamodb?.Keys?.pk?.S, sk: record.dynamodb?.Keys?.sk?.S }) && touchesRefs(record),
  async process(records) {
    const contacts = new Map<string, { touched: Record<Kind, Set<string>>; last: Record<Kind, Ref>; changed: Record<Kind, boolean>; sequences: string[] }>();
    for (const record of records) {
      const contactId = contactIdFromPk(String(record.dynamodb?.Keys?.pk?.S));
      const before = image(record.dynamodb?.OldImage);
      const after = image(record.dynamodb?.NewImage);
      const entry = contacts.get(contactId) ?? {
        touched: { company: new Set<string>(), department: new Set<string>() },
        last: { company: undefined, department: undefined },
        changed: { company: false, department: false },
        sequences: [],
      };
      for (const kind of KINDS) {
        const old = refOf(before, kind);
        const now = refOf(after, kind);
        if (old) entry.touched[kind].add(old.id);
        if (now) entry.touched[kind].add(now.id);
        if (old?.id !== now?.id) entry.changed[kind] = true;
        entry.last[kind] = now;
      }
      entry.sequences.push(record.dynamodb?.SequenceNumber ?? '');
      contacts.set(contactId, entry);
    }
    try {
      const writes: Record<string, unknown>[] = [];
      for (const [contactId, entry] of contacts) {
        for (const kind of KINDS) {
          const current = entry.last[kind];
          for (const id of entry.touched[kind]) if (id !== current?.id) writes.push(catalogMemberDelete(kind, id, contactId));
          if (current && entry.changed[kind]) writes.push({ PutRequest: { Item: toCatalogMemberItem(kind, current.id, contactId) } });
        }
      }
      await batchWriteAll(writes, 4);

      const wanted = new Map<string, { kind: Kind; id: string }>();
      for (const entry of contacts.values()) for (const kind of KINDS) if (entry.last[kind]) wanted.set(catalogKey(kind, entry.last[kind]!.id).pk, { kind, id: entry.last[kind]!.id });
      const names = await currentNames([...wanted.values()]);
      const fixes: { contactId: string; kind: Kind; ref: { id: string; name: string }; current?: string }[] = [];
      for (const [contactId, entry] of contacts) {
        for (const kind of KINDS) {
          const ref = entry.last[kind];
          if (!ref) continue;
          const current = names.get(catalogKey(kind, ref.id).pk);
          if (current !== ref.name) fixes.push({ contactId, kind, ref, current });
        }
      }
      await inParallel(fixes, 8, async ({ contactId, kind, ref, current }) => {
        if (current === undefined) {
          await clearContactRef(contactId, kind, ref.id);
          await deleteCatalogMember(kind, ref.id, contactId);
          return;
        }
        await renameContactRef(contactId, kind, ref.id, current);
      });
      return [];
    } catch (error) {
      logger.warn('catalog refs: batch failed, will be retried', { error: error as Error });
      return failuresOf([...contacts.values()].flatMap((entry) => entry.sequences), error);
    }
  },
};
