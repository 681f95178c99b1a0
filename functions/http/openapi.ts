/**
 * `GET /v1/openapi.json`: the API as an OpenAPI 3.1 document, generated
 * from the route table (./routes.ts) and the very schemas the router
 * parses requests with. Each operation names the permission it needs
 * (`x-action`) and the roles that have it (`x-roles`).
 */
import * as z from 'zod/mini';
import { ROLES, can, PERMISSIONS } from '../../shared/roles.js';
import { ANSWERS } from '../../shared/schemas/answers.js';
import { documentedSchema, notesOf } from '../../shared/schemas/core.js';
import { httpRouter, reply } from '../lib/http.js';
import { openapiRoutes } from './tables/openapi.js';
import { ROUTES, type DocumentedSchema, type RouteDefinition } from './routes.js';

type JsonObject = Record<string, unknown>;

function jsonSchema(schema: DocumentedSchema, io: 'input' | 'output'): JsonObject {
  if ('jsonSchema' in schema) return schema.jsonSchema;
  const { $schema: _dialect, ...rest } = z.toJSONSchema(documentedSchema(schema), {
    io,
    target: 'draft-2020-12',
    unrepresentable: 'any',
    override: ({ zodSchema, jsonSchema }) => Object.assign(jsonSchema, notesOf(zodSchema)),
  }) as JsonObject;
  return rest;
}

const json = (schema: JsonObject) => ({ 'application/json': { schema } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const errorRef = ref('Error');

/** The refusals a route can answer, by what it takes and who may call it. */
function errorAnswers(route: RouteDefinition): JsonObject {
  const answers: JsonObject = {};
  const error = (description: string) => ({ description, content: json(errorRef) });
  if (route.body || route.query?.length) answers['400'] = error('`validation_error`: `fields` names each field at fault and why.');
  if (route.auth !== 'none') answers['401'] = error('`unauthorized`: no valid credentials.');
  if (route.auth === 'jwt') answers['403'] = error('`forbidden`: the role lacks this action.');
  if (route.path.includes('{')) answers['404'] = error('`not_found`: no such resource.');
  if (route.body) answers['413'] = error('`too_large`: the body is too large.');
  answers['429'] = error('`throttled`: retry shortly.');
  return answers;
}

/** `PATCH /v1/contacts/{id}` -> `patchContactsById`. */
const operationId = (route: RouteDefinition) =>
  route.method.toLowerCase() +
  route.path
    .split('/')
    .slice(2)
    .map((part) => (part.startsWith('{') ? `By${part.slice(1, -1)}` : part))
    .map((part) => part.replace(/(^|[^A-Za-z0-9]+)([A-Za-z0-9])/g, (_m, _sep, c: string) => c.toUpperCase()))
    .join('');

function operation(route: RouteDefinition): JsonObject {
  const status = String(route.status ?? (route.answer ? 200 : route.key === 'GET /v1/jobs/{id}/download' ? 200 : 204));
  const pathParameters = [...route.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({ name, in: 'path', required: true, schema: { type: 'string' } }));
  const queryParameters = (route.query ?? []).map((name) => ({ name, in: 'query', required: false, schema: { type: 'string' } }));
  const permission = route.access !== 'public' && route.access !== 'apiKey' ? route.access : undefined;
  return {
    operationId: operationId(route),
    summary: route.summary,
    tags: [route.area],
    security: route.auth === 'jwt' ? [{ bearer: [] }] : route.auth === 'apiKey' ? [{ apiKey: [] }] : [],
    'x-action': route.access,
    ...(permission ? { 'x-roles': ROLES.filter((role) => can(role, permission)), 'x-least-role': PERMISSIONS[permission] } : {}),
    ...(pathParameters.length + queryParameters.length ? { parameters: [...pathParameters, ...queryParameters] } : {}),
    ...(route.body ? { requestBody: { required: true, content: json(jsonSchema(route.body, 'input')) } } : {}),
    responses: {
      [status]: { description: route.summary, ...(route.answer ? { content: json(ref(route.answer)) } : {}) },
      ...errorAnswers(route),
    },
  };
}

/** The document; built once per container. */
export function openApiDocument(): JsonObject {
  const paths: Record<string, Record<string, JsonObject>> = {};
  for (const route of ROUTES) (paths[route.path] ??= {})[route.method.toLowerCase()] = operation(route);
  return {
    openapi: '3.1.0',
    info: {
      title: 'Contact base API',
      version: '1',
      description: 'Every route of the HTTP API with the action (`x-action`) and roles (`x-roles`) it needs, its request body and its answers. Errors are `{"error":{"code","message","fields"?}}`.',
    },
    paths,
    components: {
      schemas: Object.fromEntries(Object.entries(ANSWERS).map(([name, schema]) => [name, jsonSchema(schema, 'output')])),
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A Cognito ID token; its groups give the role.' },
        apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key', description: 'An integration\'s API key (`POST /v1/api-keys`).' },
      },
    },
  };
}

let document: string | undefined;

export const handler = httpRouter(openapiRoutes, {
  'GET /v1/openapi.json': async () => reply(200, (document ??= JSON.stringify(openApiDocument())), { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'public, max-age=300' }),
});
