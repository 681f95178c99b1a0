import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ulid } from 'ulid';
import { toContactItem, type ContactRecord } from '../../functions/data/contact.js';
import { prng } from '../../infra/local/seed.js';
import { inParallel as pool } from '../../functions/lib/concurrency.js';

const FIRST = ['Ana', 'Bruno', 'Camila', 'Diego', 'Eduarda', 'Felipe', 'Gabriela', 'Heitor', 'Isabela', 'João', 'Lucía', 'Martín', 'Olivia'];
const LAST = ['Silva', 'Santos', 'Oliveira', 'Souza', 'Gonçalves', 'Ferreira', 'Alves', 'Lima', 'Costa', 'García', 'Smith'];
const DDDS = ['11', '21', '31', '41', '51', '61', '71', '81', '85', '91', '27', '48', '62', '19', '47', '92'];

export interface BenchContact {
  firstName: string;
  lastName: string;
  /** E.164, unique per `serial` within one `series`. */
  phone: string;
  email: string;
}

/** Deterministic, realistic and unique contact fields; `series` keeps separate populations apart. */
export function benchContact(serial: number, series = 0): BenchContact {
  const r = prng(serial * 7919 + series);
  const firstName = r.pick(FIRST);
  const lastName = r.pick(LAST);
  const ddd = r.pick(DDDS);
  // Brazilian mobiles are 9 digits starting with 9; the serial makes them unique.
  const phone = `+55${ddd}9${series + 6}${String(serial).padStart(7, '0')}`;
  const email = `${firstName.normalize('NFD').replace(/[^a-zA-Z]/g, '').toLowerCase()}.${series}.${serial}@bench.example`;
  return { firstName, lastName, phone, email };
}

/** The stored profile item of a contact, exactly as the contact service writes it (toContactItem). */
export function contactItem(fields: BenchContact, now = new Date().toISOString()) {
  const record: ContactRecord = {
    id: ulid(),
    ...fields,
    country: 'BR',
    origin: { type: 'csv', label: 'CSV Import - bench.csv' },
    customFields: {},
    blocked: false,
    createdAt: now,
    updatedAt: now,
  };
  return { ...toContactItem(record), version: 1 };
}

/**
 * An item of exactly a contact's size and index fan-out (the same attributes,
 * values of the same lengths, the same five index entries) under keys no
 * stream consumer claims: the raw baseline measures DynamoDB's write path
 * for this shape, not the product's reactions to new contacts.
 */
export function rawBaselineItem(fields: BenchContact): Record<string, unknown> & { pk: string; sk: string } {
  const item: Record<string, unknown> & { pk: string; sk: string } = { ...contactItem(fields), type: 'rawbase' };
  item.pk = String(item.pk).replace(/^CONTACT#/, 'RAWBASE#');
  const swap: Record<string, [string, string]> = { gsi1pk: ['CONTACT', 'RAWBASE'], gsi2pk: ['PHONE#', 'PHONX#'], gsi3pk: ['EMAIL#', 'EMAIX#'], gsi4pk: ['FNAME', 'FNAMX'], gsi5pk: ['LNAME', 'LNAMX'] };
  for (const [attribute, [from, to]] of Object.entries(swap)) if (typeof item[attribute] === 'string') item[attribute] = String(item[attribute]).replace(from, to);
  return item;
}

/**
 * A raw BatchWriteItem loop: 25 requests per call, unprocessed items sent
 * again, `loops` of them side by side. The baseline the import job is
 * measured against, and the quick way to lay down a base.
 */
export async function rawBatchWrite(
  client: DynamoDBDocumentClient,
  table: string,
  requests: readonly Record<string, unknown>[],
  loops = 1,
): Promise<void> {
  const batches: Record<string, unknown>[][] = [];
  for (let i = 0; i < requests.length; i += 25) batches.push(requests.slice(i, i + 25));
  await pool(batches, loops, async (batch) => {
    let pending: Record<string, unknown>[] | undefined = batch;
    for (let attempt = 0; pending && pending.length > 0; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 20 * 2 ** attempt)));
      const out = await client.send(new BatchWriteCommand({ RequestItems: { [table]: pending as never } }));
      pending = out.UnprocessedItems?.[table] as Record<string, unknown>[] | undefined;
    }
  });
}

export const putRequests = (items: readonly Record<string, unknown>[]) => items.map((Item) => ({ PutRequest: { Item } }));
export const deleteRequests = (items: readonly { pk: unknown; sk: unknown }[]) => items.map((i) => ({ DeleteRequest: { Key: { pk: i.pk, sk: i.sk } } }));
