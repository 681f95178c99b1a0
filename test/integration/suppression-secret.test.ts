import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { contactBody, createContact } from '../support/factories.js';
import { startLocalStack } from '../support/local-stack.js';

/**
 * The local host keeps the suppression list's key in its data directory
 * (infra/local/stack.ts), as the tenant stack keeps its SuppressionSecret:
 * after a restart, values erased before it are still refused.
 */
const dataDir = mkdtempSync(join(tmpdir(), 'suppression-secret-'));
const tableName = `t-suppression-${process.pid}-${Date.now().toString(36)}`;
const before = process.env.SUPPRESSION_SECRET;
afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
  if (before === undefined) delete process.env.SUPPRESSION_SECRET;
  else process.env.SUPPRESSION_SECRET = before;
});

describe('the local suppression secret', { timeout: 120_000 }, () => {
  it('is kept in the data directory, so suppressions still match after a restart', async () => {
    delete process.env.SUPPRESSION_SECRET;
    const body = contactBody();
    let stack = await startLocalStack({ dataDir, tableName });
    try {
      const contact = await createContact(stack.api.as('operator'), body);
      expect((await stack.api.as('admin').post(`/v1/contacts/${contact.id}/erase`)).status).toBe(200);
    } finally {
      await stack.stop();
    }
    const file = join(dataDir, 'suppression-secret');
    expect(existsSync(file)).toBe(true);
    expect(readFileSync(file, 'utf8').trim()).toBe(process.env.SUPPRESSION_SECRET);

    // A new process would start without the variable: only the file can give the same key back.
    delete process.env.SUPPRESSION_SECRET;
    stack = await startLocalStack({ dataDir, tableName });
    try {
      const again = await stack.api.as('operator').post('/v1/contacts', { firstName: 'Again', phone: body.phone });
      expect(again.status).toBe(409);
      expect(again.body.error.code).toBe('suppressed');
    } finally {
      await stack.stop();
    }
  });
});
