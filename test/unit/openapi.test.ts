import { readFileSync } from 'node:fs';
import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { CUSTOM_FIELD_TYPES as SERVICE_FIELD_TYPES } from '../../functions/catalog/custom-fields.js';
import { handler, openApiDocument } from '../../functions/http/openapi.js';
import { ROUTES, routeKey } from '../../functions/http/routes.js';
import { CLIENT_JOB_TYPES } from '../../functions/jobs/job-requests.js';
import { MAX_DUPLICATES as SERVICE_MAX_DUPLICATES } from '../../functions/merge/merge-service.js';
import { ROLES, can, type Permission } from '../../shared/roles.js';
import { CUSTOM_FIELD_TYPES } from '../../shared/schemas/catalog.js';
import { JOB_TYPES } from '../../shared/schemas/jobs.js';
import { MAX_DUPLICATES } from '../../shared/schemas/merge.js';

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
type Operation = Record<string, any>;

const document = openApiDocument() as { openapi: string; paths: Record<string, Record<string, Operation>> };
const operations = Object.entries(document.paths).flatMap(([path, item]) =>
  Object.entries(item)
    .filter(([method]) => (METHODS as readonly string[]).includes(method))
    .map(([method, operation]) => ({ key: `${method.toUpperCase()} ${path}`, operation })),
);


/** The routes API.md names: `GET /v1/...`, `GET/POST /v1/...`, without query strings. */
function contractRoutes(): string[] {
  const text = readFileSync('/work/shared/API.md', 'utf8');
  const keys = new Set<string>();
  for (const [, methods, path] of text.matchAll(/\b((?:GET|POST|PUT|PATCH|DELETE)(?:\/(?:GET|POST|PUT|PATCH|DELETE))*) (\/v1\/[A-Za-z0-9/{}._-]*)/g)) {
    for (const method of methods.split('/')) keys.add(`${method} ${path.replace(/[/.]+$/, (tail) => (tail.endsWith('.json') ? tail : ''))}`);
  }
  return [...keys];
}

describe('GET /v1/openapi.json', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    expect(document.openapi).toBe('3.1.0');
    const validator = new Validator();
    const result = await validator.validate(document);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('has every route of the table, and nothing else', () => {
    expect(operations.map((o) => o.key).sort()).toEqual(ROUTES.map(routeKey).sort());
  });

  it('gives each operation its action, its roles, its security, its body and its answers', () => {
    for (const route of ROUTES) {
      const operation = document.paths[route.path][route.method.toLowerCase()];
      const context = routeKey(route);
      expect(operation['x-action'], context).toBe(route.access);
      expect(operation.summary, context).toBe(route.summary);
      if (route.auth === 'jwt') {
        expect(operation['x-roles'], context).toEqual(ROLES.filter((role) => can(role, route.access as Permission)));
        expect(operation.security, context).toEqual([{ bearer: [] }]);
        expect(Object.keys(operation.responses), context).toEqual(expect.arrayContaining(['401', '403']));
      } else {
        expect(operation.security, context).toEqual(route.auth === 'apiKey' ? [{ apiKey: [] }] : []);
      }
      expect(Boolean(operation.requestBody), context).toBe(Boolean(route.body));
      if (route.body) {
        const schema = operation.requestBody.content['application/json'].schema;
        expect(schema.type === 'object' || (schema.oneOf ?? schema.anyOf)?.every((variant: { type?: string }) => variant.type === 'object'), context).toBe(true);
        expect(operation.responses['400'].content['application/json'].schema, context).toEqual({ $ref: '#/components/schemas/Error' });
      }
      const success = Object.keys(operation.responses).filter((status) => status < '400');
      expect(success, context).toHaveLength(1);
      if (route.answer) expect(operation.responses[success[0]].content['application/json'].schema, context).toBeTruthy();
    }
  });

  it('covers every route of shared/API.md', () => {
    const inTable = new Set(ROUTES.map(routeKey));
    const named = contractRoutes();
    expect(named.length).toBeGreaterThan(40);
    expect(named.filter((key) => !inTable.has(key)), 'routes of API.md missing from the route table').toEqual([]);
  });

  it('is served without a token, as JSON', async () => {
    const result = await handler({ version: '2.0', routeKey: 'GET /v1/openapi.json', rawPath: '/v1/openapi.json', headers: {}, requestContext: {}, isBase64Encoded: false } as never, { getRemainingTimeInMillis: () => 1000 } as never);
    expect(result.statusCode).toBe(200);
    expect(result.headers?.['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(String(result.body))).toEqual(document);
  });
});

describe('request schemas', () => {
  it('name the same job types, custom field types and merge limit as the services that check them again', () => {
    expect(JOB_TYPES).toEqual(CLIENT_JOB_TYPES);
    expect(CUSTOM_FIELD_TYPES).toEqual(SERVICE_FIELD_TYPES);
    expect(MAX_DUPLICATES).toBe(SERVICE_MAX_DUPLICATES);
  });
});
