import { describe, expect, it } from 'vitest';
import { withoutAliasedValues } from '../../functions/merge/aliases.js';
import { mergePrepOps, prepSlice, switchTuning, undoPrepOps } from '../../functions/merge/markers.js';
import { newMergeRecord } from '../../functions/data/merge-record.js';
import { unionProfileItems } from '../../functions/merge/merge-reads.js';
import { toRaw } from '../../functions/data/raw-item.js';
import { MAX_ACTIONS } from '../../functions/merge/transact.js';

const item = (contactId: string, sk: string, fields: Record<string, unknown> = {}) => ({ pk: `CONTACT#${contactId}`, sk, ...fields });

describe('the primary profile while its merge moves history', () => {
  it('shows each list, tag and channel once, the primary state first, then the duplicates in merge order', () => {
    const own = [
      item('P', 'P#PROFILE', { type: 'contact' }),
      item('P', 'P#MERGE', { type: 'mergeMarker' }),
      item('P', 'P#LIST#L1', { type: 'listMember', listId: 'L1' }),
      item('P', 'P#CH#sms', { type: 'channel', channel: 'sms', status: 'subscribed' }),
    ];
    const first = [
      item('D1', 'P#PROFILE', { type: 'contact' }),
      item('D1', 'P#LIST#L1', { type: 'listMember', listId: 'L1' }),
      item('D1', 'P#TAG#T1', { type: 'tagMember', tagId: 'T1' }),
      item('D1', 'P#CH#sms', { type: 'channel', channel: 'sms', status: 'unsubscribed' }),
      item('D1', 'P#CH#email', { type: 'channel', channel: 'email', status: 'unsubscribed' }),
    ];
    const second = [item('D2', 'P#CH#email', { type: 'channel', channel: 'email', status: 'subscribed' }), item('D2', 'P#MERGE', { type: 'mergeMarker' })];
    const out = unionProfileItems(own, [first, second]);
    expect(out.map((i) => `${i.pk}/${i.sk}`).sort()).toEqual(['CONTACT#D1/P#CH#email', 'CONTACT#D1/P#TAG#T1', 'CONTACT#P/P#CH#sms', 'CONTACT#P/P#LIST#L1', 'CONTACT#P/P#PROFILE']);
  });

  it('keeps every day counter (the profile adds them up) and adds the ticket counters into one summary', () => {
    const own = [item('P', 'P#ENGD#2026-01-02', { type: 'engagementDay', date: '2026-01-02', sms_sent: 1 }), item('P', 'P#ENG#SUMMARY', { type: 'engagementSummary', tk_open: 1, tk_resolved: 2, band: 'low' })];
    const dup = [item('D', 'P#ENGD#2026-01-02', { type: 'engagementDay', date: '2026-01-02', sms_sent: 3 }), item('D', 'P#ENG#SUMMARY', { type: 'engagementSummary', tk_open: 4 })];
    const out = unionProfileItems(own, [dup, [item('E', 'P#ENG#SUMMARY', { type: 'engagementSummary', tk_resolved: 5 })]]);
    expect(out.filter((i) => i.type === 'engagementDay').map((i) => i.sms_sent)).toEqual([1, 3]);
    expect(out.filter((i) => i.type === 'engagementSummary')).toEqual([{ ...own[1], tk_open: 5, tk_resolved: 7 }]);
  });

  it('takes a duplicate summary when the primary has none yet', () => {
    const out = unionProfileItems([item('P', 'P#PROFILE', { type: 'contact' })], [[item('D', 'P#ENG#SUMMARY', { type: 'engagementSummary', tk_open: 2, tk_resolved: 1 })]]);
    expect(out.find((i) => i.type === 'engagementSummary')).toMatchObject({ tk_open: 2, tk_resolved: 1 });
  });
});

describe('merges beyond one switch transaction', () => {
  const record = (duplicates: number) =>
    newMergeRecord({ id: 'M', primaryId: 'P', duplicateIds: Array.from({ length: duplicates }, (_, i) => `D${i}`), names: {}, at: '2026-01-01T00:00:00.000Z', by: 'otto' });

  it('locks and marks only the late duplicates before a merge, in slices that fit a transaction with the progress', () => {
    const ops = mergePrepOps(record(1000));
    expect(ops).toHaveLength((1000 - switchTuning.duplicates) * 2);
    expect(ops[0]).toMatchObject({ kind: 'put', item: { pk: { S: `MERGELOCK#D${switchTuning.duplicates}` } } });
    expect(ops[1]).toMatchObject({ kind: 'put', item: { pk: { S: `CONTACT#D${switchTuning.duplicates}` }, sk: { S: 'P#MERGE' }, role: { S: 'duplicate' } } });
    expect(mergePrepOps(record(switchTuning.duplicates))).toEqual([]);
    let done = 0;
    let transactions = 0;
    for (let slice = prepSlice(ops, done); slice.length > 0; slice = prepSlice(ops, done)) {
      expect(slice.length + 1).toBeLessThanOrEqual(MAX_ACTIONS);
      done += slice.length;
      transactions++;
    }
    expect(done).toBe(ops.length);
    expect(transactions).toBe(Math.ceil(ops.length / (MAX_ACTIONS - 1)));
  });

  it('takes every lock before an undo, and gives each late duplicate a marker holding the profile it gets back', () => {
    const r = record(switchTuning.duplicates + 2);
    const late = r.duplicateIds.slice(switchTuning.duplicates);
    const profiles = new Map(r.duplicateIds.map((id) => [id, toRaw({ pk: `CONTACT#${id}`, sk: 'P#PROFILE', type: 'contact', id })]));
    const ops = undoPrepOps(r, profiles);
    expect(ops.filter((op) => op.kind === 'put' && op.item.type?.S === 'mergeLock')).toHaveLength(r.duplicateIds.length + 1);
    const markers = ops.filter((op) => op.kind === 'put' && op.item.type?.S === 'mergeMarker');
    expect(markers.map((op) => op.kind === 'put' && op.item.pk.S)).toEqual(late.map((id) => `CONTACT#${id}`));
    expect(markers.map((op) => op.kind === 'put' && op.item.restore)).toEqual(late.map((id) => ({ M: profiles.get(id) })));
  });

  it('has room in each switch transaction for its duplicates and the record, primary, markers and snapshot', () => {
    expect(switchTuning.duplicates * 2 + 5).toBeLessThanOrEqual(MAX_ACTIONS);
    expect(switchTuning.latePerStep * 2 + 3).toBeLessThanOrEqual(MAX_ACTIONS);
  });
});

describe('an import row matched through a merged duplicate', () => {
  it('leaves the phone or email it matched by to the duplicate, and keeps the rest', () => {
    const holders = { aliased: new Set(['phone:+5511900000002']) };
    expect(withoutAliasedValues(holders, { firstName: 'Ana', phone: '+5511900000002', email: 'ana@example.com' })).toEqual({ firstName: 'Ana', email: 'ana@example.com' });
    expect(withoutAliasedValues(holders, { phone: '+5511900000003' })).toEqual({ phone: '+5511900000003' });
  });
});
