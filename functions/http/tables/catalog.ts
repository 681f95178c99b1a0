/** The route table's catalog area: Lists, tags, companies, departments, custom field definitions and agents. */
import * as catalog from '../../../shared/schemas/catalog.js';
import { contactPage } from '../../../shared/schemas/contact-page.js';
import { PAGE_QUERY as PAGE } from '../../../shared/api-routes.js';
import type { AreaTable } from '../routes.js';

export const catalogRoutes = {
  'GET /v1/lists': { answer: catalog.listPage, query: ['q', ...PAGE], summary: 'Lists.' },
  'POST /v1/lists': { body: catalog.nameBody('list'), answer: catalog.list, status: 201, summary: 'Creates a list.' },
  'GET /v1/lists/{id}': { answer: catalog.list, summary: 'A list.' },
  'PATCH /v1/lists/{id}': { body: catalog.nameBody('list'), answer: catalog.list, summary: 'Renames a list.' },
  'DELETE /v1/lists/{id}': { summary: 'Deletes a list; its members stay in the base.' },
  'GET /v1/lists/{id}/contacts': { answer: contactPage, query: PAGE, summary: 'A list\'s contacts.' },

  'GET /v1/tags': { answer: catalog.tagPage, query: ['q', ...PAGE], summary: 'Tags.' },
  'POST /v1/tags': { body: catalog.nameBody('tag'), answer: catalog.tag, status: 201, summary: 'Creates a tag (409 if the name exists).' },
  'GET /v1/tags/{id}': { answer: catalog.tag, summary: 'A tag.' },
  'PATCH /v1/tags/{id}': { body: catalog.nameBody('tag'), answer: catalog.tag, summary: 'Renames a tag.' },
  'DELETE /v1/tags/{id}': { summary: 'Deletes a tag and removes it from every contact.' },

  'GET /v1/companies': { answer: catalog.namedPage, query: ['q', ...PAGE], summary: 'Companies.' },
  'POST /v1/companies': { body: catalog.nameBody('company'), answer: catalog.named, status: 201, summary: 'Creates a company.' },
  'GET /v1/companies/{id}': { answer: catalog.named, summary: 'A company.' },
  'PATCH /v1/companies/{id}': { body: catalog.nameBody('company'), answer: catalog.named, summary: 'Renames a company.' },
  'DELETE /v1/companies/{id}': { summary: 'Deletes a company.' },

  'GET /v1/departments': { answer: catalog.namedPage, query: ['q', ...PAGE], summary: 'Departments.' },
  'POST /v1/departments': { body: catalog.nameBody('department'), answer: catalog.named, status: 201, summary: 'Creates a department.' },
  'GET /v1/departments/{id}': { answer: catalog.named, summary: 'A department.' },
  'PATCH /v1/departments/{id}': { body: catalog.nameBody('department'), answer: catalog.named, summary: 'Renames a department.' },
  'DELETE /v1/departments/{id}': { summary: 'Deletes a department.' },

  'GET /v1/custom-fields': { answer: catalog.customFieldPage, query: ['q', ...PAGE], summary: 'Custom field definitions.' },
  'POST /v1/custom-fields': { body: catalog.customFieldBody, answer: catalog.customField, status: 201, summary: 'Defines a custom field.' },
  'GET /v1/custom-fields/{id}': { answer: catalog.customField, summary: 'A custom field definition.' },
  'PATCH /v1/custom-fields/{id}': { body: catalog.customFieldPatchBody, answer: catalog.customField, summary: 'Renames a custom field or changes its choices.' },
  'DELETE /v1/custom-fields/{id}': { summary: 'Deletes a custom field definition; values on contacts stay.' },

  'GET /v1/agents': { answer: catalog.agentPage, query: ['q', ...PAGE], summary: 'Agents and groups.' },
  'POST /v1/agents': { body: catalog.agentBody, answer: catalog.agent, status: 201, summary: 'Adds an agent or group.' },
  'GET /v1/agents/{id}': { answer: catalog.agent, summary: 'An agent or group.' },
  'PATCH /v1/agents/{id}': { body: catalog.nameBody('agent'), answer: catalog.agent, summary: 'Renames an agent or group.' },
  'DELETE /v1/agents/{id}': { summary: 'Removes an agent or group; its contacts are unassigned.' },
} as const satisfies AreaTable;
