import { describe, expect, it } from 'vitest';
import { AUDIT_ACTIONS as WRITES } from '../../functions/audit/audit-actions.js';
import { en } from '../../shared/i18n/en.js';
import { AUDIT_ACTIONS as SPA } from '../../web/src/pages/audit/audit-actions.js';

/** The Audit screen's action filter and words (web) against the actions the router records for each write route (functions). */
describe('the Audit screen knows every audited action', () => {
  const recorded = new Set(
    Object.values(WRITES).map(
      (describe) => describe({ params: { id: 'x', listId: 'l', tagId: 't', channel: 'sms' }, body: {}, answer: { accepted: 1 } })!.action,
    ),
  );
  const offered = Object.entries(SPA).flatMap(([type, actions]) => Object.keys(actions).map((action) => ({ type, action, key: (actions as Record<string, string>)[action]! })));

  it('offers exactly the actions the write routes record', () => {
    expect(offered.map((o) => o.action).sort()).toEqual([...recorded].sort());
  });

  it('groups each under its target type and has English words for it', () => {
    for (const { type, action, key } of offered) {
      expect(action.split('.')[0], action).toBe(type);
      expect(key in en, key).toBe(true);
    }
  });
});
