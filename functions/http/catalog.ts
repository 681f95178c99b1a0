import { parseLimit } from '../lib/cursor.js';
import { httpRouter, reply, type Request } from '../lib/http.js';
import { catalogRoutes } from './tables/catalog.js';
// Renames and deletes fan out as jobs that start inline: only the catalog's own types, so the import and export code stays out of this bundle.
import '../catalog/register-jobs.js';
import {
  createAgent,
  createCustomField,
  createList,
  createNamed,
  createTagFromBody,
  deleteAgent,
  deleteCustomField,
  deleteList,
  deleteNamed,
  deleteTag,
  getOne,
  listMembersPage,
  listPage,
  renameAgent,
  renameList,
  renameNamed,
  renameTag,
  updateCustomField,
} from '../catalog/catalog-service.js';
import type { CatalogKind } from '../data/catalog-entity.js';

const page = (kind: CatalogKind) => async (req: Request) => listPage(kind, { limit: parseLimit(req.query.limit), cursor: req.query.cursor, q: req.query.q });
const one = (kind: CatalogKind) => async (req: Request) => getOne(kind, req.params.id);

/** Companies and departments share their routes' shape. */
type Named = 'companies' | 'departments';
const namedRoutes = <P extends Named>(path: P, kind: 'company' | 'department') =>
  ({
    [`GET /v1/${path}`]: page(kind),
    [`POST /v1/${path}`]: async (req: Request<'POST /v1/companies', (typeof catalogRoutes)['POST /v1/companies']>) => reply(201, await createNamed(kind, req.body)),
    [`GET /v1/${path}/{id}`]: one(kind),
    [`PATCH /v1/${path}/{id}`]: async (req: Request<'PATCH /v1/companies/{id}', (typeof catalogRoutes)['PATCH /v1/companies/{id}']>) => renameNamed(kind, req.params.id, req.body, req.principal),
    [`DELETE /v1/${path}/{id}`]: async (req: Request<`DELETE /v1/${Named}/{id}`>) => {
      await deleteNamed(kind, req.params.id, req.principal);
      return reply(204);
    },
  }) as { [K in `${'GET' | 'POST'} /v1/${P}` | `${'GET' | 'PATCH' | 'DELETE'} /v1/${P}/{id}`]: (req: Request<K>) => Promise<unknown> };

export const handler = httpRouter(catalogRoutes, {
  'GET /v1/lists': page('list'),
  'POST /v1/lists': async (req) => reply(201, await createList(req.body)),
  'GET /v1/lists/{id}': one('list'),
  'PATCH /v1/lists/{id}': async (req) => renameList(req.params.id, req.body, req.principal),
  'DELETE /v1/lists/{id}': async (req) => {
    await deleteList(req.params.id, req.principal);
    return reply(204);
  },
  'GET /v1/lists/{id}/contacts': async (req) => listMembersPage(req.params.id, { limit: parseLimit(req.query.limit), cursor: req.query.cursor }),

  'GET /v1/tags': page('tag'),
  'POST /v1/tags': async (req) => reply(201, await createTagFromBody(req.body)),
  'GET /v1/tags/{id}': one('tag'),
  'PATCH /v1/tags/{id}': async (req) => renameTag(req.params.id, req.body, req.principal),
  'DELETE /v1/tags/{id}': async (req) => {
    await deleteTag(req.params.id, req.principal);
    return reply(204);
  },

  ...namedRoutes('companies', 'company'),
  ...namedRoutes('departments', 'department'),

  'GET /v1/custom-fields': page('customField'),
  'POST /v1/custom-fields': async (req) => reply(201, await createCustomField(req.body)),
  'GET /v1/custom-fields/{id}': one('customField'),
  'PATCH /v1/custom-fields/{id}': async (req) => updateCustomField(req.params.id, req.body),
  'DELETE /v1/custom-fields/{id}': async (req) => {
    await deleteCustomField(req.params.id);
    return reply(204);
  },

  'GET /v1/agents': page('agent'),
  'POST /v1/agents': async (req) => reply(201, await createAgent(req.body)),
  'GET /v1/agents/{id}': one('agent'),
  'PATCH /v1/agents/{id}': async (req) => renameAgent(req.params.id, req.body),
  'DELETE /v1/agents/{id}': async (req) => {
    await deleteAgent(req.params.id, req.principal);
    return reply(204);
  },
});
