import { describe, expect, it } from 'vitest';
import { addMergedAliases, type ValueHolders } from '../../functions/merge/aliases.js';
import { useLocalStack, usersOf } from '../support/api-suite.js';
import { createContact } from '../support/factories.js';

/**
 * A CSV import meets merged duplicates: a row whose phone or email belongs
 * to a duplicate merged into another contact is a row of that contact, for
 * every duplicates policy.
 */
const stack = useLocalStack();
const { operator, agent } = usersOf(stack);

async function merged(primary: Record<string, unknown>, duplicate: Record<string, unknown>) {
  const p = await createContact(operator(), primary);
  const d = await createContact(operator(), duplicate);
  const r = await operator().post('/v1/merges', { primaryId: p.id, duplicateIds: [d.id] });
  expect(r.status).toBe(201);
  return { primary: p, duplicate: d, mergeId: r.body.id as string };
}

async function runImport(body: Record<string, unknown>) {
  const created = await operator().post('/v1/jobs', { type: 'import-contacts', fileName: 'aliases.csv', ...body });
  expect(created.status, JSON.stringify(created.body)).toBe(202);
  await stack.idleJobs();
  return (await agent().get(`/v1/jobs/${created.body.id}`)).body;
}

const search = async (q: string) => (await agent().get(`/v1/contacts?q=${encodeURIComponent(q)}`)).body.items as { id: string }[];

describe('CSV import and merged duplicates', { timeout: 120_000 }, () => {
  it('updates the primary for a row with a merged duplicate phone or email, keeping the primary own phone', async () => {
    const { primary, duplicate } = await merged(
      { firstName: 'Olga', phone: '+55 31 97777-1001', email: 'olga@prim.example' },
      { firstName: 'Olga', lastName: 'Old', phone: '+55 31 97777-1002', email: 'olga@dup.example' },
    );
    // One file per row: the rows of one file update their contacts in parallel.
    const byPhone = await runImport({ csv: 'firstName,lastName,phone,Plan\nOlga,Nova,+5531977771002,gold\n' });
    expect(byPhone).toMatchObject({ status: 'succeeded', processed: 1, failed: 0, summary: { created: 0, updated: 1, skipped: 0 } });
    const byEmail = await runImport({ csv: 'firstName,email,Plan\nOlga,OLGA@dup.example,platinum\n' });
    expect(byEmail).toMatchObject({ status: 'succeeded', processed: 1, failed: 0, summary: { created: 0, updated: 1, skipped: 0 } });

    const p = (await agent().get(`/v1/contacts/${primary.id}`)).body;
    expect(p).toMatchObject({ lastName: 'Nova', phone: primary.phone, email: primary.email, customFields: { Plan: 'platinum' } });
    expect((await agent().get(`/v1/contacts/${duplicate.id}`)).status).toBe(404);
    // No contact was created for the duplicate's values, and they still lead to the primary.
    expect(await search(duplicate.phone!)).toEqual([]);
    expect(await search('olga@dup.example')).toEqual([]);
  });

  it('skips such a row under skip, and creates a contact only under create', async () => {
    const { primary, duplicate } = await merged({ firstName: 'Pia', phone: '+55 31 97777-2001' }, { firstName: 'Pia D', phone: '+55 31 97777-2002' });
    const csv = 'firstName,phone\nPia Skip,+5531977772002\n';
    const skipped = await runImport({ csv, onDuplicate: 'skip' });
    expect(skipped).toMatchObject({ status: 'succeeded', summary: { created: 0, updated: 0, skipped: 1 } });
    expect((await agent().get(`/v1/contacts/${primary.id}`)).body.firstName).toBe('Pia');
    expect(await search(duplicate.phone!)).toEqual([]);

    const created = await runImport({ csv, onDuplicate: 'create' });
    expect(created).toMatchObject({ status: 'succeeded', summary: { created: 1, updated: 0, skipped: 0 } });
    expect(await search(duplicate.phone!)).toHaveLength(1);
  });

  it('follows a primary merged on into another contact, and a row of a duplicate whose merge was undone is its own again', async () => {
    const first = await merged({ firstName: 'Quim', phone: '+55 31 97777-3001' }, { firstName: 'Quim D', phone: '+55 31 97777-3002' });
    const last = await createContact(operator(), { firstName: 'Quim Final', phone: '+55 31 97777-3003' });
    expect((await operator().post('/v1/merges', { primaryId: last.id, duplicateIds: [first.primary.id] })).status).toBe(201);
    const job = await runImport({ csv: 'lastName,phone\nChained,+5531977773002\n' });
    expect(job).toMatchObject({ summary: { created: 0, updated: 1, skipped: 0 } });
    expect((await agent().get(`/v1/contacts/${last.id}`)).body).toMatchObject({ lastName: 'Chained', phone: last.phone });

    const other = await merged({ firstName: 'Rita', phone: '+55 31 97777-4001' }, { firstName: 'Rita D', phone: '+55 31 97777-4002' });
    expect((await operator().post(`/v1/merges/${other.mergeId}/undo`)).status).toBe(200);
    await runImport({ csv: 'lastName,phone\nBack,+5531977774002\n' });
    expect((await agent().get(`/v1/contacts/${other.duplicate.id}`)).body.lastName).toBe('Back');
    expect((await agent().get(`/v1/contacts/${other.primary.id}`)).body.lastName).toBeNull();
  });

  it('big files read every standing alias once: the value maps lead to the live primary', async () => {
    const { primary, duplicate } = await merged({ firstName: 'Sol', email: 'sol@prim.example' }, { firstName: 'Sol D', phone: '+55 31 97777-5002', email: 'sol@dup.example' });
    const undone = await merged({ firstName: 'Tina', phone: '+55 31 97777-6001' }, { firstName: 'Tina D', phone: '+55 31 97777-6002' });
    expect((await operator().post(`/v1/merges/${undone.mergeId}/undo`)).status).toBe(200);
    const deleted = await merged({ firstName: 'Ugo', phone: '+55 31 97777-7001' }, { firstName: 'Ugo D', phone: '+55 31 97777-7002' });
    expect((await operator().delete(`/v1/contacts/${deleted.primary.id}`)).status).toBe(204);

    const holders: ValueHolders = { phones: new Map(), emails: new Map(), aliased: new Set() };
    await addMergedAliases(holders);
    expect(holders.phones.get(duplicate.phone!)).toBe(primary.id);
    expect(holders.emails.get('sol@dup.example')).toBe(primary.id);
    expect(holders.aliased.has(`phone:${duplicate.phone}`)).toBe(true);
    // An undone merge has no alias left; a deleted primary holds nothing.
    expect(holders.phones.has(undone.duplicate.phone!)).toBe(false);
    expect(holders.phones.has(deleted.duplicate.phone!)).toBe(false);
  });
});
