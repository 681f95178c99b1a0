import { DeleteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { contactKey, contactPk } from '../../functions/data/keys.js';
import { plain, queryRaw } from '../../functions/data/raw-item.js';
import { refreshBandSnapshot } from '../../functions/engagement/band-snapshot.js';
import { countSelection, nextPage } from '../../functions/jobs/contact-selection.js';
import { ddb, tableName } from '../../functions/lib/dynamo.js';
import { useLocalStack, usersOf } from '../support/api-suite.js';
import { DAY, ago, createApiKey, createContact, uniqueId as uid } from '../support/factories.js';

/**
 * Issue 19: the engagement band snapshot is an item of its own
 * (`CONTACT#<id>` / `P#BAND`, functions/data/contact-band.ts), so a band
 * move writes one small item and its byBand entry instead of the profile
 * and its six or more index entries. The contact base (`?band=`, the `band`
 * of its rows), the profile and bulk-job counts read it; binned and
 * merged-away contacts never show; profiles written before it still carry
 * the snapshot and are listed once until their next refresh moves it.
 */
const stack = useLocalStack();
const { admin, operator, agent } = usersOf(stack);
let apiKey: string;

beforeAll(async () => {
  apiKey = await createApiKey(admin());
});

let phones = 0;
const freshPhone = () => `+55 31 9${String(7300_0000 + ++phones * 71).padStart(8, '0')}`;

/** A WhatsApp message that reached `stages` two days ago. */
const message = (contactId: string, stages: string[]) => {
  const messageId = uid('msg');
  return stages.map((status, i) => ({ id: uid('evt'), type: 'message.status', at: ago(2 * DAY - i * 60_000), messageId, channel: 'whatsapp', status, broadcast: true, contactId }));
};
/** `engaged` messages read and `idle` ones only delivered. */
const messages = (contactId: string, engaged: number, idle: number) => [
  ...Array.from({ length: engaged }, () => message(contactId, ['delivered', 'read'])).flat(),
  ...Array.from({ length: idle }, () => message(contactId, ['delivered'])).flat(),
];

async function send(events: unknown[]) {
  const r = await stack.api.call('POST', '/v1/events', { body: { events }, headers: { 'x-api-key': apiKey } });
  expect(r.status, JSON.stringify(r.body)).toBe(202);
  expect(r.body.rejected).toEqual([]);
  await stack.drain();
  await stack.drain();
}

/** Every row of a contact-base query, page after page. */
async function rows(query: string): Promise<{ id: string; band: string | null }[]> {
  const out: { id: string; band: string | null }[] = [];
  let cursor: string | undefined;
  do {
    const r = await agent().get(`/v1/contacts?${query}&limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    out.push(...r.body.items);
    cursor = r.body.cursor ?? undefined;
  } while (cursor);
  return out;
}
const listed = async (band: string, id: string, extra = '') => (await rows(`band=${band}${extra}`)).filter((c) => c.id === id);
const bandCount = async (band: string) => countSelection({ kind: 'filter', filter: { band } });

async function stored(id: string) {
  const items = (await queryRaw(contactPk(id), 'P#')).map(plain);
  return { profile: items.find((i) => i.sk === 'P#PROFILE'), band: items.find((i) => i.sk === 'P#BAND') };
}

/** What a profile written before band items carried (the old snapshot on the profile). */
async function writeLegacyBand(id: string, band: string) {
  await ddb().send(
    new UpdateCommand({
      TableName: tableName(),
      Key: contactKey(id),
      UpdateExpression: 'SET band = :b, gsi7pk = :p, gsi7sk = :s',
      ExpressionAttributeValues: { ':b': band, ':p': `BAND#${band}`, ':s': id },
    }),
  );
}

describe('the band item', () => {
  // First in the file: these are the only contacts with a 'low' band, and the binned ones come first in the index.
  it('fills a band page past entries whose contacts are in the recycle bin', async () => {
    const made = [];
    for (let i = 0; i < 4; i++) made.push(await createContact(operator(), { firstName: uid('Pagina'), phone: freshPhone() }));
    // One read of three delivered: 33%, low.
    await send(made.flatMap((c) => messages(c.id, 1, 2)));
    expect((await rows('band=low')).map((c) => c.id).sort()).toEqual(made.map((c) => c.id).sort());
    const [kept, ...binned] = [...made].sort((a, b) => (a.id < b.id ? 1 : -1));
    for (const c of binned) expect((await operator().delete(`/v1/contacts/${c.id}`)).status).toBe(204);
    await stack.drain();
    // The three binned entries come first in the index; a page of one still brings the live contact.
    const first = await agent().get('/v1/contacts?band=low&limit=1');
    expect(first.status).toBe(200);
    expect(first.body.items.map((c: { id: string }) => c.id)).toEqual([kept.id]);
  });

  it('is what a band move writes: one small item, the profile carries no band; rows and the profile show it', async () => {
    const c = await createContact(operator(), { firstName: uid('Bandeira'), phone: freshPhone() });
    await send(messages(c.id, 1, 0));
    let { profile, band } = await stored(c.id);
    expect(band).toEqual({ pk: contactPk(c.id), sk: 'P#BAND', type: 'contactBand', contactId: c.id, band: 'very_high', gsi7pk: 'BAND#very_high', gsi7sk: c.id });
    for (const name of ['band', 'gsi7pk', 'gsi7sk']) expect(profile).not.toHaveProperty(name);
    const versionBefore = profile!.version;

    expect(await listed('very_high', c.id)).toEqual([expect.objectContaining({ id: c.id, band: 'very_high' })]);
    expect((await rows(`q=${encodeURIComponent(c.firstName!)}`)).map((r) => [r.id, r.band])).toEqual([[c.id, 'very_high']]);
    expect((await agent().get(`/v1/contacts/${c.id}`)).body).toMatchObject({ band: 'very_high', engagement: { band: 'very_high' } });

    // 1 of 4 delivered engaged: 25%, low. The item moves; the profile is not written.
    await send(messages(c.id, 0, 3));
    ({ profile, band } = await stored(c.id));
    expect(band).toMatchObject({ band: 'low', gsi7pk: 'BAND#low' });
    expect(profile!.version).toBe(versionBefore);
    for (const name of ['band', 'gsi7pk', 'gsi7sk']) expect(profile).not.toHaveProperty(name);
    expect(await listed('low', c.id)).toHaveLength(1);
    expect(await listed('very_high', c.id)).toEqual([]);
  });

  it('narrows with the other filters: blocked, a name, a tag', async () => {
    const name = uid('Faixa');
    const [a, b] = [await createContact(operator(), { firstName: name, phone: freshPhone() }), await createContact(operator(), { firstName: name, phone: freshPhone() })];
    await send([...messages(a.id, 1, 0), ...messages(b.id, 1, 1)]);
    expect((await operator().post(`/v1/contacts/${a.id}/block`)).status).toBe(200);
    const tag = await operator().post(`/v1/contacts/${a.id}/tags`, { name: uid('tag') });
    await operator().post(`/v1/contacts/${b.id}/tags`, { name: tag.body.name });
    await stack.drain();

    const ids = (list: { id: string }[]) => list.map((c) => c.id).filter((id) => id === a.id || id === b.id).sort();
    expect(ids(await rows('band=very_high&blocked=true'))).toEqual([a.id]);
    expect(ids(await rows('band=very_high&blocked=false'))).toEqual([]);
    expect(ids(await rows('band=high&blocked=false'))).toEqual([b.id]);
    expect(ids(await rows(`band=high&q=${name}`))).toEqual([b.id]);
    expect(ids(await rows(`q=${name}`))).toEqual([a.id, b.id].sort());
    expect(ids(await rows(`tag=${tag.body.id}&band=very_high`))).toEqual([a.id]);
    expect((await rows(`tag=${tag.body.id}`)).map((r) => [r.id, r.band]).sort()).toEqual([[a.id, 'very_high'], [b.id, 'high']].sort());
    // What a bulk job (an export) reads of selected rows and of a band filter.
    const selected = await nextPage({ kind: 'ids', count: 2, ids: [a.id, b.id] }, {}, 10, { contacts: true });
    expect(selected.contacts!.map((c) => [c.id, c.band])).toEqual([[a.id, 'very_high'], [b.id, 'high']]);
    const filtered = await nextPage({ kind: 'filter', filter: { band: 'high', q: name } }, {}, 10, { contacts: true });
    expect(filtered.contacts!.map((c) => [c.id, c.band])).toEqual([[b.id, 'high']]);
  });

  it('leaves the listing and the count with its contact in the recycle bin, and comes back with a restore', async () => {
    const c = await createContact(operator(), { firstName: uid('Lixeira'), phone: freshPhone() });
    await send(messages(c.id, 1, 0));
    const before = await bandCount('very_high');
    expect(await listed('very_high', c.id)).toHaveLength(1);

    expect((await operator().delete(`/v1/contacts/${c.id}`)).status).toBe(204);
    await stack.drain();
    expect(await listed('very_high', c.id)).toEqual([]);
    expect(await bandCount('very_high')).toBe(before! - 1);
    // The item stays while binned (a restore finds it current); the join with the profile hides it.
    expect((await stored(c.id)).band).toMatchObject({ band: 'very_high' });

    expect((await admin().post(`/v1/recycle-bin/${c.id}/restore`)).status).toBe(200);
    await stack.drain();
    expect(await listed('very_high', c.id)).toEqual([expect.objectContaining({ id: c.id, band: 'very_high' })]);
    expect(await bandCount('very_high')).toBe(before);
  });

  it('follows a merge: the merged contact takes the band its counts say, the duplicate leaves the band', async () => {
    const primary = await createContact(operator(), { firstName: uid('Primo'), phone: freshPhone() });
    const duplicate = await createContact(operator(), { firstName: uid('Dupla'), phone: freshPhone() });
    // Primary 0 of 1 engaged (none), duplicate 1 of 1 (very high): merged, 1 of 2 (high).
    await send([...messages(primary.id, 0, 1), ...messages(duplicate.id, 1, 0)]);
    expect(await listed('none', primary.id)).toHaveLength(1);
    expect(await listed('very_high', duplicate.id)).toHaveLength(1);

    expect((await operator().post('/v1/merges', { primaryId: primary.id, duplicateIds: [duplicate.id] })).status).toBe(201);
    // Right after the switch, before the stream moves anything: the merged-away duplicate is not listed.
    expect(await listed('very_high', duplicate.id)).toEqual([]);
    await stack.drain();
    await stack.drain();
    const p = (await agent().get(`/v1/contacts/${primary.id}`)).body;
    expect(p.engagement.band).toBe('high');
    expect(p.band).toBe('high');
    expect(await listed('high', primary.id)).toHaveLength(1);
    expect(await listed('none', primary.id)).toEqual([]);
    expect(await listed('very_high', duplicate.id)).toEqual([]);
    // The merge did not move the duplicate's band item; the refresh found it gone and deleted it.
    expect((await stored(primary.id)).band).toMatchObject({ contactId: primary.id, band: 'high' });
    expect((await stored(duplicate.id)).band).toBeUndefined();
  });

  it('lists a profile written before band items once, and its next refresh moves the snapshot off it', async () => {
    const c = await createContact(operator(), { firstName: uid('Antigo'), phone: freshPhone() });
    await send(messages(c.id, 1, 0));
    const before = await bandCount('very_high');

    // Both the old snapshot on the profile and the band item: listed and counted once.
    await writeLegacyBand(c.id, 'very_high');
    expect(await listed('very_high', c.id)).toHaveLength(1);
    expect(await bandCount('very_high')).toBe(before);
    // An old snapshot that disagrees with the band item: the band item decides.
    await writeLegacyBand(c.id, 'low');
    expect(await listed('low', c.id)).toEqual([]);
    expect(await listed('very_high', c.id)).toHaveLength(1);

    // Only the old snapshot (a tenant deployed before the band item, contact not refreshed since).
    await writeLegacyBand(c.id, 'very_high');
    await ddb().send(new DeleteCommand({ TableName: tableName(), Key: { pk: contactPk(c.id), sk: 'P#BAND' } }));
    expect(await listed('very_high', c.id)).toEqual([expect.objectContaining({ id: c.id, band: 'very_high' })]);
    expect(await bandCount('very_high')).toBe(before);
    expect((await rows(`q=${encodeURIComponent(c.firstName!)}`)).map((r) => r.band)).toEqual(['very_high']);
    expect((await agent().get(`/v1/contacts/${c.id}`)).body.band).toBe('very_high');

    expect(await refreshBandSnapshot(c.id)).toBe('updated');
    const { profile, band } = await stored(c.id);
    for (const name of ['band', 'gsi7pk', 'gsi7sk']) expect(profile).not.toHaveProperty(name);
    expect(band).toMatchObject({ band: 'very_high' });
    expect(await listed('very_high', c.id)).toHaveLength(1);
    expect(await bandCount('very_high')).toBe(before);
    expect(await refreshBandSnapshot(c.id)).toBe('unchanged');
  });
});
