/** The route table's contacts area: Contacts, their memberships and channels, messages and the dispatch report. */
import * as contacts from '../../../shared/schemas/contacts.js';
import { config } from '../../lib/config.js';
import { PAGE_QUERY as PAGE } from '../../../shared/api-routes.js';
import type { AreaTable } from '../routes.js';

const region = () => config().defaultPhoneRegion;

export const contactRoutes = {
  'GET /v1/me': { answer: 'Me', summary: 'The caller: sub, name and role.' },
  'POST /v1/contacts': { body: contacts.contactBody('create', region), answer: 'Profile', status: 201, summary: 'Creates a contact.' },
  'GET /v1/contacts': { answer: 'ContactPage', query: ['q', 'tag', 'list', 'blocked', 'band', 'assignee', ...PAGE], summary: 'Contacts, newest first, searched and filtered.' },
  'GET /v1/contacts/{id}': { answer: 'Profile', summary: 'A contact\'s profile.' },
  'GET /v1/contacts/{id}/activity': { answer: 'ActivityPage', query: PAGE, summary: 'What was done to the contact and by whom, newest first.' },
  'PATCH /v1/contacts/{id}': { body: contacts.contactBody('patch', region), answer: 'Profile', summary: 'Edits a contact; null clears a field.' },
  'DELETE /v1/contacts/{id}': { summary: 'Moves a contact to the recycle bin (restorable until it is purged).' },
  'PUT /v1/contacts/{id}/lists/{listId}': { summary: 'Adds a contact to a list (idempotent).' },
  'DELETE /v1/contacts/{id}/lists/{listId}': { summary: 'Removes a contact from a list.' },
  'POST /v1/contacts/{id}/tags': { body: contacts.tagAssignBody, answer: 'TagRef', summary: 'Tags a contact by name, creating the tag when none has it.' },
  'DELETE /v1/contacts/{id}/tags/{tagId}': { summary: 'Removes a tag from a contact; the tag stays.' },
  'POST /v1/contacts/{id}/channels/{channel}/unsubscribe': { answer: 'Profile', summary: 'Unsubscribes a contact\'s channel.' },
  'POST /v1/contacts/{id}/channels/{channel}/subscribe': { answer: 'Profile', summary: 'Subscribes a contact\'s channel.' },
  'DELETE /v1/contacts/{id}/channels/{channel}': { summary: 'Removes a channel from a contact; its history stays.' },
  'POST /v1/contacts/{id}/block': { answer: 'Profile', summary: 'Blocks a contact.' },
  'POST /v1/contacts/{id}/unblock': { answer: 'Profile', summary: 'Unblocks a contact.' },
  'POST /v1/contacts/{id}/messages': { body: contacts.messageBody, answer: 'DispatchAnswer', status: 202, summary: 'Sends a message (or records why it cannot be sent).' },
  'GET /v1/dispatches': { answer: 'DispatchPage', query: ['contactId', 'status', ...PAGE], summary: 'The dispatch report.' },
  'GET /v1/recycle-bin': { answer: 'RecycleBinPage', query: ['q', ...PAGE], summary: 'Deleted contacts in the recycle bin, most recently deleted first.' },
  'POST /v1/recycle-bin/{id}/restore': { answer: 'Profile', summary: 'Restores a contact from the recycle bin exactly as it was when deleted.' },
  'DELETE /v1/recycle-bin/{id}': { summary: 'Purges a contact in the recycle bin now, for good.' },
} as const satisfies AreaTable;
