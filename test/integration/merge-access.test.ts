import { describe, expect, it } from 'vitest';
import { useLocalStack } from '../support/api-suite.js';

const stack = useLocalStack();
let phones = 0;

/** Signs in through the local user pool: the name given is what the directory holds for the sub from then on. */
async function signIn(sub: string, role: 'admin' | 'operator', name: string) {
  const r = await stack.api.call('POST', '/local/token', { body: { sub, role, name } });
  expect(r.status).toBe(200);
  return stack.api.as({ token: r.body.token as string });
}

async function aPair(as: Awaited<ReturnType<typeof signIn>>) {
  const phone = `+55 31 9${String(7100_0000 + ++phones * 37).padStart(8, '0')}`;
  const primary = (await as.post('/v1/contacts', { firstName: 'Access', phone })).body;
  const duplicate = (await as.post('/v1/contacts', { firstName: 'Access dup', phone })).body;
  return { primary, duplicate };
}

describe('names in merge history', { timeout: 240_000 }, () => {
  it('come from the user directory, not from the name the token carried', async () => {
    // A token minted while the user called themself "Mallory"; the directory has since been set to the real name.
    const spoofed = await signIn('otto-dir', 'operator', 'Mallory the Admin');
    const admin = await signIn('ana-dir', 'admin', 'Ana Souza');
    await signIn('otto-dir', 'operator', 'Otto Operator');
    const { primary, duplicate } = await aPair(admin);
    const merge = await spoofed.post('/v1/merges', { primaryId: primary.id, duplicateIds: [duplicate.id] });
    expect(merge.status).toBe(201);
    expect(merge.body).toMatchObject({ by: 'otto-dir', byName: 'Otto Operator' });
    const undone = await admin.post(`/v1/merges/${merge.body.id}/undo`);
    expect(undone.body).toMatchObject({ status: 'undone', undoneBy: 'ana-dir', undoneByName: 'Ana Souza' });
    const history = (await admin.get('/v1/merges?limit=100')).body.items.find((m: { id: string }) => m.id === merge.body.id);
    expect(history).toMatchObject({ byName: 'Otto Operator', undoneByName: 'Ana Souza' });
    expect(JSON.stringify((await admin.get('/v1/merges?limit=100')).body)).not.toContain('Mallory');
  });
});

describe('who may read a merge', { timeout: 240_000 }, () => {
  it('lets admins read any merge and its history, operators only a merge they started or undid', async () => {
    const admin = await signIn('ana-acl', 'admin', 'Ana');
    const otto = await signIn('otto-acl', 'operator', 'Otto');
    const olga = await signIn('olga-acl', 'operator', 'Olga');

    const byAdmin = await aPair(admin);
    const adminMerge = (await admin.post('/v1/merges', { primaryId: byAdmin.primary.id, duplicateIds: [byAdmin.duplicate.id] })).body;
    const byOtto = await aPair(otto);
    const ottoMerge = (await otto.post('/v1/merges', { primaryId: byOtto.primary.id, duplicateIds: [byOtto.duplicate.id] })).body;

    expect((await admin.get(`/v1/merges/${adminMerge.id}`)).status).toBe(200);
    expect((await admin.get(`/v1/merges/${ottoMerge.id}`)).status).toBe(200);
    expect((await otto.get(`/v1/merges/${ottoMerge.id}`)).status).toBe(200);
    for (const [who, id] of [['otto', adminMerge.id], ['olga', ottoMerge.id]] as const) {
      const r = await (who === 'otto' ? otto : olga).get(`/v1/merges/${id}`);
      expect([who, r.status, r.body.error?.code]).toEqual([who, 404, 'not_found']);
      expect(JSON.stringify(r.body)).not.toContain(id === adminMerge.id ? byAdmin.primary.id : byOtto.primary.id);
    }
    // The history itself stays an admin's (API.md roles).
    expect((await otto.get('/v1/merges')).status).toBe(403);

    // Undoing someone's merge (operators may) lets the undoer follow it.
    expect((await olga.post(`/v1/merges/${ottoMerge.id}/undo`)).status).toBe(200);
    expect((await olga.get(`/v1/merges/${ottoMerge.id}`)).body).toMatchObject({ status: 'undone', undoneBy: 'olga-acl' });
  });
});
