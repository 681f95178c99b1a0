import { randomBytes } from 'node:crypto';
import { putAuditEntry, type AuditActor, type AuditEntry } from '../data/audit-entry.js';
import { logger } from '../lib/logger.js';
import type { AuditRecord } from './audit-actions.js';

/**
 * Appends what a write did to the audit log. Called by the router once the
 * write has answered with success, so a refused or failed request leaves no
 * entry. A failure to append is logged (the write is done and answered as
 * such) rather than turned into an error the caller would retry.
 */
export async function appendAudit(actor: AuditActor, record: AuditRecord): Promise<void> {
  // The sort key orders entries by time; the id only has to be unique (no id library in every bundle).
  const entry: AuditEntry = { id: randomBytes(12).toString('base64url'), at: new Date().toISOString(), actor, action: record.action, target: record.target, details: record.details ?? {} };
  try {
    // The SDK's own retries cover throttling.
    await putAuditEntry(entry);
  } catch (error) {
    logger.error('audit entry could not be written', { action: record.action, target: record.target, error: error as Error });
  }
}
