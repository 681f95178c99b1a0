import type { MessageKey } from '../../../../shared/i18n/index.js';

/**
 * The actions the log records (functions/audit/audit-actions.ts), by target
 * type, with their words. The action filter offers these; an action the SPA
 * does not know yet shows as the API names it. test/unit/audit-actions-spa.test.ts
 * keeps this list and the server's the same.
 */
export const AUDIT_ACTIONS = {
  contact: {
    'contact.created': 'audit.action.contact.created',
    'contact.updated': 'audit.action.contact.updated',
    'contact.deleted': 'audit.action.contact.deleted',
    'contact.restored': 'audit.action.contact.restored',
    'contact.purged': 'audit.action.contact.purged',
    'contact.erased': 'audit.action.contact.erased',
    'contact.tagged': 'audit.action.contact.tagged',
    'contact.untagged': 'audit.action.contact.untagged',
    'contact.listed': 'audit.action.contact.listed',
    'contact.unlisted': 'audit.action.contact.unlisted',
    'contact.blocked': 'audit.action.contact.blocked',
    'contact.unblocked': 'audit.action.contact.unblocked',
    'contact.subscribed': 'audit.action.contact.subscribed',
    'contact.unsubscribed': 'audit.action.contact.unsubscribed',
    'contact.channel_removed': 'audit.action.contact.channel_removed',
    'contact.message_sent': 'audit.action.contact.message_sent',
  },
  job: {
    'job.started': 'audit.action.job.started',
    'job.cancelled': 'audit.action.job.cancelled',
  },
  merge: {
    'merge.created': 'audit.action.merge.created',
    'merge.undone': 'audit.action.merge.undone',
  },
  list: {
    'list.created': 'audit.action.list.created',
    'list.updated': 'audit.action.list.updated',
    'list.deleted': 'audit.action.list.deleted',
  },
  tag: {
    'tag.created': 'audit.action.tag.created',
    'tag.updated': 'audit.action.tag.updated',
    'tag.deleted': 'audit.action.tag.deleted',
  },
  company: {
    'company.created': 'audit.action.company.created',
    'company.updated': 'audit.action.company.updated',
    'company.deleted': 'audit.action.company.deleted',
  },
  department: {
    'department.created': 'audit.action.department.created',
    'department.updated': 'audit.action.department.updated',
    'department.deleted': 'audit.action.department.deleted',
  },
  custom_field: {
    'custom_field.created': 'audit.action.custom_field.created',
    'custom_field.updated': 'audit.action.custom_field.updated',
    'custom_field.deleted': 'audit.action.custom_field.deleted',
  },
  agent: {
    'agent.created': 'audit.action.agent.created',
    'agent.updated': 'audit.action.agent.updated',
    'agent.deleted': 'audit.action.agent.deleted',
  },
  api_key: {
    'api_key.created': 'audit.action.api_key.created',
    'api_key.deleted': 'audit.action.api_key.deleted',
  },
  suppression: {
    'suppression.lifted': 'audit.action.suppression.lifted',
  },
  events: {
    'events.received': 'audit.action.events.received',
  },
} as const satisfies Record<string, Record<string, MessageKey>>;
