/**
 * The HTTP API's route table: the contract, route by route. Who may call a
 * route is in shared/api-routes.ts (plain data the SPA reads too); each
 * area's table in ./tables/ gives its routes their request body schema,
 * answer and summary. From these the router (functions/lib/http.ts)
 * authorizes and parses every request before a handler runs, the CDK Api
 * construct creates one API Gateway route per entry, the local host
 * dispatches, and `GET /v1/openapi.json` documents the API (./openapi.ts).
 *
 * Each area is one Lambda (a small router over its table), so related
 * routes share a warm container and a function bundles only its own
 * schemas; `functions/http/<area>.ts` exports `handler`.
 */
import type * as z from 'zod/mini';
import { API_ROUTES, splitRouteKey, type HttpMethod, type RouteAccess, type RouteKey } from '../../shared/api-routes.js';
import type { AnswerName } from '../../shared/schemas/answers.js';
import type { BodySchema } from '../../shared/schemas/fields.js';
import { analyticsRoutes } from './tables/analytics.js';
import { auditRoutes } from './tables/audit.js';
import { catalogRoutes } from './tables/catalog.js';
import { contactRoutes } from './tables/contacts.js';
import { eventRoutes } from './tables/events.js';
import { integrationRoutes } from './tables/integrations.js';
import { jobRoutes } from './tables/jobs.js';
import { mergeRoutes } from './tables/merge.js';
import { openapiRoutes } from './tables/openapi.js';
import { privacyRoutes } from './tables/privacy.js';

/** A body's documentation: its zod schema, or (where a function's budget has no room for zod) a plain JSON Schema. */
export type DocumentedSchema = z.ZodMiniType | { readonly jsonSchema: Record<string, unknown> };

export interface RouteSpec {
  readonly summary: string;
  /** The JSON body the route takes; the router parses every request with it (400 `validation_error` with `fields`). */
  readonly body?: BodySchema & DocumentedSchema;
  /** The success answer's JSON, by its name in shared/schemas/answers.ts (documentation, which no function bundles); none for a 204 or a file. */
  readonly answer?: AnswerName;
  /** The success status. @default 200 (204 when there is no answer) */
  readonly status?: number;
  /** Query parameters the route reads. */
  readonly query?: readonly string[];
}

/** One area's routes (a file of ./tables/); each area bundles only its own schemas. */
export type AreaTable = { readonly [K in RouteKey]?: RouteSpec };

const TABLES = {
  contacts: contactRoutes,
  catalog: catalogRoutes,
  jobs: jobRoutes,
  events: eventRoutes,
  integrations: integrationRoutes,
  analytics: analyticsRoutes,
  merge: mergeRoutes,
  privacy: privacyRoutes,
  audit: auditRoutes,
  openapi: openapiRoutes,
} as const satisfies Record<string, AreaTable>;

export type HttpArea = keyof typeof TABLES;
export const HTTP_AREAS = Object.keys(TABLES) as HttpArea[];

/** Every route of shared/api-routes.ts is in an area's table: a missing one fails to compile (test/unit/openapi.test.ts finds one listed twice). */
type Tabled = { [A in HttpArea]: keyof (typeof TABLES)[A] }[HttpArea];
const everyRouteTabled: [Exclude<RouteKey, Tabled>] extends [never] ? true : never = true;
void everyRouteTabled;

export interface RouteDefinition extends RouteSpec {
  readonly key: RouteKey;
  readonly area: HttpArea;
  readonly method: HttpMethod;
  /** API Gateway path with `{param}` placeholders. */
  readonly path: string;
  /** What the caller needs (shared/api-routes.ts). */
  readonly access: RouteAccess;
  /** `jwt` routes sit behind the Cognito JWT authorizer; `apiKey` routes check `x-api-key` in the function; `none` take no credentials. */
  readonly auth: 'jwt' | 'apiKey' | 'none';
}

const authOf = (access: RouteAccess): RouteDefinition['auth'] => (access === 'apiKey' ? 'apiKey' : access === 'public' ? 'none' : 'jwt');

/** Every route: its key, method, path, area, access and spec. */
export const ROUTES: readonly RouteDefinition[] = HTTP_AREAS.flatMap((area) =>
  Object.entries(TABLES[area] as AreaTable).map(([key, spec]) => {
    const access = API_ROUTES[key as RouteKey];
    return { key: key as RouteKey, ...splitRouteKey(key as RouteKey), area, access, auth: authOf(access), ...spec };
  }),
);

/** `routeKey` as API Gateway HTTP APIs put it in the event: `"GET /v1/contacts/{id}"`. */
export const routeKey = (route: Pick<RouteDefinition, 'method' | 'path'>): string => `${route.method} ${route.path}`;
