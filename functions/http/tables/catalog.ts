/** The route table's catalog area: Lists, tags, companies, departments, custom field definitions and agents. */
import * as catalog from '../../../shared/schemas/catalog.js';
import { PAGE_QUERY as PAGE } from '../../../shared/api-routes.js';
import type { AreaTable } from '../routes.js';

export const catalogRoutes = {
  'GET /v1/lists': { answer: 'ListPage', query: ['q', ...PAGE], summary: 'Lists.' },
  'POST /v1/lists': { body: catalog.nameBody('list'), answer: 'List', status: 201, summary: 'Creates a list.' },
  'GET /v1/lists/{id}': { answer: 'List', summary: 'A list.' },
  'PATCH /v1/lists/{id}': { body: catalog.nameBody('list'), answer: 'List', summary: 'Renames a list.' },
  'DELETE /v1/lists/{id}': { summary: 'Deletes a list; its members stay in the base.' },
  'GET /v1/lists/{id}/contacts': { answer: 'ContactPage', query: PAGE, summary: 'A list\'s contacts.' },

  'GET /v1/tags': { answer: 'TagPage', query: ['q', ...PAGE], summary: 'Tags.' },
  'POST /v1/tags': { body: catalog.nameBody('tag'), answer: 'Tag', status: 201, summary: 'Creates a tag (409 if the name exists).' },
  'GET /v1/tags/{id}': { answer: 'Tag', summary: 'A tag.' },
  'PATCH /v1/tags/{id}': { body: catalog.nameBody('tag'), answer: 'Tag', summary: 'Renames a tag.' },
  'DELETE /v1/tags/{id}': { summary: 'Deletes a tag and removes it from every contact.' },

  'GET /v1/companies': { answer: 'NamedPage', query: ['q', ...PAGE], summary: 'Companies.' },
  'POST /v1/companies': { body: catalog.nameBody('company'), answer: 'Named', status: 201, summary: 'Creates a company.' },
  'GET /v1/companies/{id}': { answer: 'Named', summary: 'A company.' },
  'PATCH /v1/companies/{id}': { body: catalog.nameBody('company'), answer: 'Named', summary: 'Renames a company.' },
  'DELETE /v1/companies/{id}': { summary: 'Deletes a company.' },

  'GET /v1/departments': { answer: 'NamedPage', query: ['q', ...PAGE], summary: 'Departments.' },
  'POST /v1/departments': { body: catalog.nameBody('department'), answer: 'Named', status: 201, summary: 'Creates a department.' },
  'GET /v1/departments/{id}': { answer: 'Named', summary: 'A department.' },
  'PATCH /v1/departments/{id}': { body: catalog.nameBody('department'), answer: 'Named', summary: 'Renames a department.' },
  'DELETE /v1/departments/{id}': { summary: 'Deletes a department.' },

  'GET /v1/custom-fields': { answer: 'CustomFieldPage', query: ['q', ...PAGE], summary: 'Custom field definitions.' },
  'POST /v1/custom-fields': { body: catalog.customFieldBody, answer: 'CustomField', status: 201, summary: 'Defines a custom field.' },
  'GET /v1/custom-fields/{id}': { answer: 'CustomField', summary: 'A custom field definition.' },
  'PATCH /v1/custom-fields/{id}': { body: catalog.customFieldPatchBody, answer: 'CustomField', summary: 'Renames a custom field or changes its choices.' },
  'DELETE /v1/custom-fields/{id}': { summary: 'Deletes a custom field definition; values on contacts stay.' },

  'GET /v1/agents': { answer: 'AgentPage', query: ['q', ...PAGE], summary: 'Agents and groups.' },
  'POST /v1/agents': { body: catalog.agentBody, answer: 'Agent', status: 201, summary: 'Adds an agent or group.' },
  'GET /v1/agents/{id}': { answer: 'Agent', summary: 'An agent or group.' },
  'PATCH /v1/agents/{id}': { body: catalog.nameBody('agent'), answer: 'Agent', summary: 'Renames an agent or group.' },
  'DELETE /v1/agents/{id}': { summary: 'Removes an agent or group; its contacts are unassigned.' },
} as const satisfies AreaTable;
