import { createContact, getContact, getProfile, setBlocked, updateContact } from '../contacts/contact-service.js';
import { listContacts } from '../contacts/contact-search.js';
import { addTagByName, addToList, removeMembership } from '../contacts/memberships.js';
import { removeChannel, setSubscription } from '../contacts/channels.js';
import { deleteContact, listRecycleBin, purgeFromBin, restoreFromBin } from '../contacts/recycle-bin.js';
import { NotFoundError } from '../lib/errors.js';
import { listDispatches, sendMessage } from '../dispatches/dispatch-service.js';
import { parseLimit } from '../lib/cursor.js';
import { httpRouter, reply } from '../lib/http.js';
import { contactRoutes } from './tables/contacts.js';
import { contactActivity } from '../contacts/contact-activity.js';

export const handler = httpRouter(contactRoutes, {
  'GET /v1/me': async ({ principal }) => ({ sub: principal.sub, name: principal.name, role: principal.role }),
  'POST /v1/contacts': async (req) => {
    const contact = await createContact(req.body, 'bearer', req.principal);
    return reply(201, await getProfile(contact.id));
  },
  'GET /v1/contacts': async (req) => {
    const { q, tag, list, blocked, band, assignee, cursor } = req.query;
    return listContacts({ q, tag, list, blocked, band, assignee, cursor, limit: parseLimit(req.query.limit) });
  },
  'GET /v1/contacts/{id}': async (req) => getProfile(req.params.id),
  'GET /v1/contacts/{id}/activity': async (req) => contactActivity(req.params.id, { limit: parseLimit(req.query.limit), cursor: req.query.cursor }),
  'PATCH /v1/contacts/{id}': async (req) => {
    await updateContact(req.params.id, req.body);
    return getProfile(req.params.id);
  },
  'DELETE /v1/contacts/{id}': async (req) => {
    await deleteContact(req.params.id, { sub: req.principal.sub, name: req.principal.name });
    return reply(204);
  },
  'PUT /v1/contacts/{id}/lists/{listId}': async (req) => {
    await addToList(req.params.id, req.params.listId);
    return reply(204);
  },
  'DELETE /v1/contacts/{id}/lists/{listId}': async (req) => {
    await getContact(req.params.id);
    await removeMembership(req.params.id, { kind: 'list', id: req.params.listId }, { activity: true });
    return reply(204);
  },
  'POST /v1/contacts/{id}/tags': async (req) => addTagByName(req.params.id, req.body),
  'DELETE /v1/contacts/{id}/tags/{tagId}': async (req) => {
    await getContact(req.params.id);
    await removeMembership(req.params.id, { kind: 'tag', id: req.params.tagId }, { activity: true });
    return reply(204);
  },
  'POST /v1/contacts/{id}/channels/{channel}/unsubscribe': async (req) => setSubscription(req.params.id, req.params.channel, 'unsubscribed'),
  'POST /v1/contacts/{id}/channels/{channel}/subscribe': async (req) => setSubscription(req.params.id, req.params.channel, 'subscribed'),
  'DELETE /v1/contacts/{id}/channels/{channel}': async (req) => {
    await removeChannel(req.params.id, req.params.channel);
    return reply(204);
  },
  'POST /v1/contacts/{id}/block': async (req) => setBlocked(req.params.id, true),
  'POST /v1/contacts/{id}/unblock': async (req) => setBlocked(req.params.id, false),
  'POST /v1/contacts/{id}/messages': async (req) => reply(202, await sendMessage(req.params.id, req.body, req.principal)),
  'GET /v1/dispatches': async (req) => {
    const { contactId, status, cursor } = req.query;
    return listDispatches({ contactId, status, cursor, limit: parseLimit(req.query.limit) });
  },
  'GET /v1/recycle-bin': async (req) => listRecycleBin({ q: req.query.q, cursor: req.query.cursor, limit: parseLimit(req.query.limit) }),
  'POST /v1/recycle-bin/{id}/restore': async (req) => {
    if (!(await restoreFromBin(req.params.id))) throw new NotFoundError('contact in the recycle bin');
    return getProfile(req.params.id);
  },
  'DELETE /v1/recycle-bin/{id}': async (req) => {
    if (!(await purgeFromBin(req.params.id))) throw new NotFoundError('contact in the recycle bin');
    return reply(204);
  },
});
