import { describe, expect, it } from 'vitest';
import { combineConversations, combineMessages } from '../../functions/merge/combine-state.js';
import { mergedAliasItem } from '../../functions/data/alias.js';
import type { SnapshotEntry } from '../../functions/data/merge-snapshot.js';
import { canonical, pack, plain, rekey, sameItem, toRaw, unpack, type RawItem } from '../../functions/data/raw-item.js';
import { expectedAfterMove, planMove, planRestore } from '../../functions/merge/moves.js';
import { mergedPrimary } from '../../functions/merge/primary-profile.js';
import { restoredPrimary } from '../../functions/merge/undo-plan.js';
import type { ConversationItem, MessageItem } from '../../functions/engagement/items.js';

const P = 'PRIMARY';
const D = 'DUPLICATE';

const aMessage = (contactId: string, overrides: Partial<MessageItem> = {}): MessageItem => ({
  pk: `CONTACT#${contactId}`,
  sk: 'H#MSG#m1',
  type: 'message',
  contactId,
  messageId: 'm1',
  channel: 'whatsapp',
  broadcast: true,
  stages: { sent: '2026-01-02T10:00:00.000Z' },
  firstAt: '2026-01-02T10:00:00.000Z',
  version: 1,
  updatedAt: '2026-01-02T10:00:00.000Z',
  ...overrides,
});

const aConversation = (contactId: string, overrides: Partial<ConversationItem> = {}): ConversationItem => ({
  pk: `CONTACT#${contactId}`,
  sk: 'H#CONV#c1',
  type: 'conversation',
  contactId,
  conversationId: 'c1',
  kind: 'support',
  status: 'open',
  statusAt: '2026-01-02T10:00:00.000Z',
  openedAt: '2026-01-02T10:00:00.000Z',
  firstAt: '2026-01-02T10:00:00.000Z',
  hours: { '2026-01-02T10': { contact: 1, positive: 1 } },
  contactMessages: 1,
  agentMessages: 0,
  version: 2,
  updatedAt: '2026-01-02T10:00:00.000Z',
  ...overrides,
});

const aProfile = (id: string, fields: Record<string, unknown> = {}): RawItem =>
  toRaw({
    pk: `CONTACT#${id}`,
    sk: 'P#PROFILE',
    type: 'contact',
    id,
    origin: { type: 'api', label: 'API' },
    customFields: {},
    blocked: false,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    version: 3,
    gsi1pk: 'CONTACT',
    gsi1sk: id,
    ...fields,
  });

describe('combining two partial states of one message or conversation', () => {
  it('keeps the earliest time of each stage and of the message, and bumps the version of the item that stays', () => {
    const into = aMessage(P, { stages: { sent: '2026-01-02T10:00:00.000Z', read: '2026-01-02T12:00:00.000Z' }, version: 4 });
    const from = aMessage(P, { stages: { delivered: '2026-01-02T09:00:00.000Z', read: '2026-01-02T11:00:00.000Z' }, firstAt: '2026-01-02T09:00:00.000Z', channel: 'sms', updatedAt: '2026-01-03T00:00:00.000Z' });
    const combined = combineMessages(into, from);
    expect(combined.stages).toEqual({ sent: '2026-01-02T10:00:00.000Z', delivered: '2026-01-02T09:00:00.000Z', read: '2026-01-02T11:00:00.000Z' });
    expect(combined.firstAt).toBe('2026-01-02T09:00:00.000Z');
    expect(combined.channel).toBe('sms');
    expect(combined.version).toBe(5);
    expect(combined.updatedAt).toBe('2026-01-03T00:00:00.000Z');
    expect(combined.contactId).toBe(P);
  });

  it('adds message counts hour by hour and keeps the latest status (resolved on a tie)', () => {
    const into = aConversation(P, { status: 'open', statusAt: '2026-01-02T10:00:00.000Z' });
    const from = aConversation(P, {
      status: 'resolved',
      statusAt: '2026-01-02T10:00:00.000Z',
      resolvedAt: '2026-01-02T10:00:00.000Z',
      openedAt: '2026-01-01T08:00:00.000Z',
      hours: { '2026-01-02T10': { agent: 2 }, '2026-01-02T11': { contact: 1, negative: 1 } },
      contactMessages: 1,
      agentMessages: 2,
    });
    const combined = combineConversations(into, from);
    expect(combined.hours).toEqual({ '2026-01-02T10': { contact: 1, positive: 1, agent: 2 }, '2026-01-02T11': { contact: 1, negative: 1 } });
    expect([combined.contactMessages, combined.agentMessages]).toEqual([2, 2]);
    expect([combined.status, combined.openedAt, combined.resolvedAt]).toEqual(['resolved', '2026-01-01T08:00:00.000Z', '2026-01-02T10:00:00.000Z']);
    expect(combineConversations(into, aConversation(P, { status: 'resolved', statusAt: '2026-01-01T00:00:00.000Z' })).status).toBe('open');
  });
});

describe('the primary after a merge', () => {
  it('keeps its own values and takes the first duplicate value where its own is empty, custom fields key by key', () => {
    const primary = aProfile(P, { firstName: 'Maria', customFields: { plan: 'silver', note: '' } });
    const d1 = aProfile('D1', { firstName: 'Mary', lastName: 'Silva', email: 'maria@example.com', customFields: { plan: 'gold', city: 'Recife', note: 'vip' } });
    const d2 = aProfile('D2', { lastName: 'Souza', phone: '+5511987654321', customFields: { city: 'Natal' } });
    const { item, filled } = mergedPrimary(primary, [d1, d2], '2026-02-01T00:00:00.000Z');
    const merged = plain(item);
    expect(merged).toMatchObject({ firstName: 'Maria', lastName: 'Silva', email: 'maria@example.com', phone: '+5511987654321', version: 4, updatedAt: '2026-02-01T00:00:00.000Z' });
    expect(merged.customFields).toEqual({ plan: 'silver', note: 'vip', city: 'Recife' });
    expect(merged).toMatchObject({ gsi2pk: 'PHONE#+5511987654321', gsi2sk: P, gsi3pk: 'EMAIL#maria@example.com', gsi3sk: P, gsi4sk: `maria silva#${P}` });
    expect(filled.sort()).toEqual(['customFields.city', 'customFields.note', 'email', 'lastName', 'phone']);
  });

  it('leaves the item untouched when there is nothing to fill', () => {
    const primary = aProfile(P, { firstName: 'Maria', email: 'm@example.com' });
    const { item, filled } = mergedPrimary(primary, [aProfile('D1', { firstName: 'Other' })], '2026-02-01T00:00:00.000Z');
    expect(filled).toEqual([]);
    expect(item).toBe(primary);
  });

  it('leaves a merged-alias item that event resolution finds by id, phone and email', () => {
    const alias = plain(mergedAliasItem(aProfile(D, { phone: '+5511911112222', email: 'd@example.com', language: 'es' }), P, 'M1', '2026-02-01T00:00:00.000Z'));
    expect(alias).toMatchObject({ pk: `CONTACT#${D}`, sk: 'A#MERGED', type: 'mergedContact', id: D, mergedInto: P, mergeId: 'M1', language: 'es', gsi2pk: 'PHONE#+5511911112222', gsi2sk: D, gsi3pk: 'EMAIL#d@example.com', gsi3sk: D });
  });

  it('undo restores the snapshot when the primary was not touched since, keeping the band the stream keeps', () => {
    const before = aProfile(P, { firstName: 'Maria', band: 'low', gsi7pk: 'BAND#low', gsi7sk: P });
    const { item: after, filled } = mergedPrimary(before, [aProfile(D, { lastName: 'Silva' })], '2026-02-01T00:00:00.000Z');
    const entry: SnapshotEntry = { op: 'update', key: { pk: `CONTACT#${P}`, sk: 'P#PROFILE' }, before, after };
    const current = { ...after, band: { S: 'high' }, gsi7pk: { S: 'BAND#high' } };
    const restored = restoredPrimary(current, entry, filled, '2026-03-01T00:00:00.000Z');
    expect(plain(restored)).toEqual({ ...plain(before), band: 'high', gsi7pk: 'BAND#high' });
  });

  it('undo empties the filled fields but keeps edits made after the merge', () => {
    const before = aProfile(P, { firstName: 'Maria' });
    const { item: after, filled } = mergedPrimary(before, [aProfile(D, { lastName: 'Silva', email: 'm@example.com' })], '2026-02-01T00:00:00.000Z');
    const edited = toRaw({ ...plain(after), email: 'new@example.com', gsi3pk: 'EMAIL#new@example.com', version: 5 });
    const restored = plain(restoredPrimary(edited, { op: 'update', key: { pk: `CONTACT#${P}`, sk: 'P#PROFILE' }, before, after }, filled, '2026-03-01T00:00:00.000Z'));
    expect(restored.lastName).toBeUndefined();
    expect(restored.email).toBe('new@example.com');
    expect(restored.gsi4sk).toBe(`maria#${P}`);
    expect(restored.version).toBe(6);
  });

  it('undo empties filled map fields that DynamoDB reads back with their keys in another order', () => {
    const before = aProfile(P, { firstName: 'Maria' });
    const duplicate = aProfile(D, { company: { id: 'C1', name: 'Acme' }, assignee: { type: 'agent', id: 'A1' }, department: { id: 'D1', name: 'Vendas' } });
    const { item: after, filled } = mergedPrimary(before, [duplicate], '2026-02-01T00:00:00.000Z');
    expect(filled).toEqual(expect.arrayContaining(['company', 'assignee', 'department']));
    // DynamoDB keeps no key order in a map: the primary read back after an edit has them the other way round.
    const { company, assignee, department, ...rest } = plain(after);
    const readBack = toRaw({ ...rest, department: { name: 'Vendas', id: 'D1' }, assignee: { id: 'A1', type: 'agent' }, company: { name: 'Acme', id: 'C1' }, lastName: 'Edited', version: 5 });
    expect([company, assignee, department]).toEqual([{ id: 'C1', name: 'Acme' }, { type: 'agent', id: 'A1' }, { id: 'D1', name: 'Vendas' }]);
    const restored = plain(restoredPrimary(readBack, { op: 'update', key: { pk: `CONTACT#${P}`, sk: 'P#PROFILE' }, before, after }, filled, '2026-03-01T00:00:00.000Z'));
    expect(restored).not.toHaveProperty('company');
    expect(restored).not.toHaveProperty('assignee');
    expect(restored).not.toHaveProperty('department');
    expect(restored).toMatchObject({ firstName: 'Maria', lastName: 'Edited' });
  });

  it('fills and undoes a custom field named like an Object.prototype property (own properties only)', () => {
    const before = aProfile(P, { firstName: 'Maria' });
    const { item: after, filled } = mergedPrimary(before, [aProfile(D, { customFields: { toString: 'from the duplicate', plan: 'Pro' } })], '2026-02-01T00:00:00.000Z');
    expect(filled).toEqual(expect.arrayContaining(['customFields.toString', 'customFields.plan']));
    expect(plain(after).customFields).toEqual({ toString: 'from the duplicate', plan: 'Pro' });
    const edited = toRaw({ ...plain(after), lastName: 'Edited', version: 5 });
    const restored = plain(restoredPrimary(edited, { op: 'update', key: { pk: `CONTACT#${P}`, sk: 'P#PROFILE' }, before, after }, filled, '2026-03-01T00:00:00.000Z'));
    expect(restored.customFields).toEqual({});
  });
});

describe('planning a move and its undo', () => {
  const membership = (contactId: string) => toRaw({ pk: `CONTACT#${contactId}`, sk: 'P#LIST#L1', type: 'listMember', contactId, listId: 'L1', name: 'VIP', addedAt: '2026-01-01T00:00:00.000Z', gsi9pk: 'LIST#L1', gsi9sk: contactId });

  it('moves a membership the primary lacks and drops one it has with the count (a contact in both lists counts once)', () => {
    const moved = planMove(membership(D), undefined, D, P);
    expect(moved.ops.map((op) => op.kind)).toEqual(['delete', 'put']);
    expect(plain((moved.ops[1] as { item: RawItem }).item)).toMatchObject({ pk: `CONTACT#${P}`, contactId: P, gsi9sk: P, addedAt: '2026-01-01T00:00:00.000Z' });
    const dropped = planMove(membership(D), membership(P), D, P);
    expect(dropped.ops).toContainEqual({ kind: 'add', key: { pk: 'LIST#L1', sk: '#META' }, attribute: 'memberCount', by: -1 });
    expect(dropped.entry).toMatchObject({ op: 'delete', delta: -1 });
  });

  it('combines a message both contacts have, and the undo of an untouched combination restores both bytes', () => {
    const own = toRaw(aMessage(P, { stages: { read: '2026-01-02T12:00:00.000Z' } }) as never);
    const theirs = toRaw(aMessage(D) as never);
    const planned = planMove(theirs, own, D, P);
    expect(planned.entry).toMatchObject({ op: 'move', destBefore: own });
    const combined = plain(planned.destAfter!);
    expect(combined.stages).toEqual({ sent: '2026-01-02T10:00:00.000Z', read: '2026-01-02T12:00:00.000Z' });

    const undo = planRestore(planned.entry!, undefined, planned.destAfter!);
    expect(undo).toHaveLength(2);
    expect(canonical((undo[0] as { item: RawItem }).item)).toBe(canonical(own));
    expect(canonical((undo[1] as { item: RawItem }).item)).toBe(canonical(theirs));
  });

  it('an item changed since the merge goes back as it is now, with the event that reached it', () => {
    const original = toRaw(aMessage(D) as never);
    const entry = planMove(original, undefined, D, P).entry!;
    expect(sameItem(expectedAfterMove(entry), rekey(original, D, P))).toBe(true);
    const later = toRaw(aMessage(P, { stages: { sent: '2026-01-02T10:00:00.000Z', delivered: '2026-01-05T00:00:00.000Z' }, version: 2 }) as never);
    const undo = planRestore(entry, undefined, later);
    expect(undo.map((op) => op.kind)).toEqual(['delete', 'put']);
    expect(plain((undo[1] as { item: RawItem }).item)).toMatchObject({ pk: `CONTACT#${D}`, contactId: D, version: 2, stages: { delivered: '2026-01-05T00:00:00.000Z' } });
  });

  it('combines a restored item with one the duplicate received after the undo switched it back', () => {
    const original = toRaw(aMessage(D) as never);
    const entry = planMove(original, undefined, D, P).entry!;
    const arrived = toRaw(aMessage(D, { stages: { replied: '2026-01-06T00:00:00.000Z' }, firstAt: '2026-01-06T00:00:00.000Z', version: 1 }) as never);
    const undo = planRestore(entry, arrived, rekey(original, D, P));
    const put = plain((undo[1] as { item: RawItem }).item);
    expect(put.stages).toEqual({ sent: '2026-01-02T10:00:00.000Z', replied: '2026-01-06T00:00:00.000Z' });
    expect(put.version).toBe(2);
  });

  it('puts a membership back with its count unless its list was deleted meanwhile', () => {
    const entry = planMove(membership(D), undefined, D, P).entry!;
    expect(planRestore(entry, undefined, rekey(membership(D), D, P)).filter((op) => op.kind === 'add').map((op) => (op as { by: number }).by)).toEqual([1, -1]);
    expect(planRestore(entry, undefined, undefined, false)).toEqual([]);
  });
});

describe('snapshot packing', () => {
  it('keeps every attribute type exactly: numbers as written, sets, binary, nulls, empty maps', () => {
    const item: RawItem = {
      pk: { S: 'CONTACT#x' },
      sk: { S: 'H#X#1' },
      n: { N: '1.50' },
      big: { N: '123456789012345678901234567890' },
      tags: { SS: ['b', 'a'] },
      nums: { NS: ['2', '10'] },
      bin: { B: new Uint8Array([0, 1, 254, 255]) },
      bins: { BS: [new Uint8Array([7]), new Uint8Array([])] },
      none: { NULL: true },
      flag: { BOOL: false },
      empty: { M: {} },
      list: { L: [{ S: '' }, { M: { deep: { N: '-0.0' } } }] },
    };
    const back = unpack<RawItem[]>(pack([item]))[0];
    expect(back).toEqual(item);
    expect(canonical(back)).toBe(canonical(item));
  });
});
