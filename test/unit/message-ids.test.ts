import { describe, expect, it } from 'vitest';
import type { ConversationItem } from '../../functions/engagement/items.js';
import { HASH_CHARS, TOKEN_CHARS, keptEntry, keptIds, messageIdHash, unionKeptIds, writeToken } from '../../functions/events/message-ids.js';
import { combineConversations } from '../../functions/merge/combine-state.js';

describe('kept message ids', () => {
  it('are 16 characters: a 12-character hash of the event id and a 4-character write token', () => {
    const token = writeToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{4}$/);
    expect(messageIdHash('evt-1')).toMatch(/^[A-Za-z0-9_-]{12}$/);
    expect(messageIdHash('evt-1')).toBe(messageIdHash('evt-1'));
    expect(messageIdHash('evt-1')).not.toBe(messageIdHash('evt-2'));
    const entry = keptEntry('evt-1', token);
    expect(entry).toHaveLength(HASH_CHARS + TOKEN_CHARS);
    expect(keptIds([entry])).toEqual(new Map([[messageIdHash('evt-1'), token]]));
    expect(keptIds(undefined).size).toBe(0);
  });

  it('join in a merge, each message once', () => {
    const a = [keptEntry('m1', 'aaaa'), keptEntry('m2', 'aaaa')];
    const b = [keptEntry('m2', 'bbbb'), keptEntry('m3', 'bbbb')];
    expect(unionKeptIds(a, b)).toEqual([...a, keptEntry('m3', 'bbbb')]);
    expect(unionKeptIds(undefined, b)).toEqual(b);
    expect(unionKeptIds(undefined, undefined)).toBeUndefined();

    const conv = (contactId: string, msgIds?: string[]): ConversationItem => ({
      pk: `CONTACT#${contactId}`,
      sk: 'H#CONV#c1',
      type: 'conversation',
      contactId,
      conversationId: 'c1',
      firstAt: '2026-03-10T12:00:00.000Z',
      hours: { '2026-03-10T12': { contact: msgIds?.length ?? 0 } },
      contactMessages: msgIds?.length ?? 0,
      agentMessages: 0,
      version: 3,
      updatedAt: '2026-03-10T12:00:00.000Z',
      ...(msgIds ? { msgIds } : {}),
    });
    const combined = combineConversations(conv('p', [keptEntry('m1', 'aaaa')]), conv('d', [keptEntry('m2', 'bbbb')]));
    expect(combined.msgIds).toEqual([keptEntry('m1', 'aaaa'), keptEntry('m2', 'bbbb')]);
    expect(combined.contactMessages).toBe(2);
    expect('msgIds' in combineConversations(conv('p'), conv('d'))).toBe(false);
  });
});
