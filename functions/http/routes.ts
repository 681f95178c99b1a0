/**
 * The HTTP API's route table: the CDK Api construct creates one API Gateway
 * route per entry, and the local host dispatches with the same table. Each
 * area is one Lambda (a small router), so related routes share a warm
 * container; `functions/http/<area>.ts` exports `handler`.
 */
export const HTTP_AREAS = ['contacts', 'catalog', 'jobs', 'events', 'integrations', 'analytics', 'merge'] as const;
export type HttpArea = (typeof HTTP_AREAS)[number];

export interface RouteDefinition {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** API Gateway path with `{param}` placeholders. */
  readonly path: string;
  readonly area: HttpArea;
  /** `jwt` routes sit behind the Cognito JWT authorizer; `apiKey` routes check `x-api-key` in the function. */
  readonly auth: 'jwt' | 'apiKey';
}

const r = (method: RouteDefinition['method'], path: string, area: HttpArea, auth: RouteDefinition['auth'] = 'jwt'): RouteDefinition => ({
  method,
  path,
  area,
  auth,
});

export const ROUTES: readonly RouteDefinition[] = [
  r('GET', '/v1/me', 'contacts'),
  r('POST', '/v1/contacts', 'contacts'),
  r('GET', '/v1/contacts', 'contacts'),
  r('GET', '/v1/contacts/{id}', 'contacts'),
  r('PATCH', '/v1/contacts/{id}', 'contacts'),
  r('DELETE', '/v1/contacts/{id}', 'contacts'),
  r('PUT', '/v1/contacts/{id}/lists/{listId}', 'contacts'),
  r('DELETE', '/v1/contacts/{id}/lists/{listId}', 'contacts'),
  r('POST', '/v1/contacts/{id}/tags', 'contacts'),
  r('DELETE', '/v1/contacts/{id}/tags/{tagId}', 'contacts'),
  r('POST', '/v1/contacts/{id}/channels/{channel}/unsubscribe', 'contacts'),
  r('POST', '/v1/contacts/{id}/channels/{channel}/subscribe', 'contacts'),
  r('DELETE', '/v1/contacts/{id}/channels/{channel}', 'contacts'),
  r('POST', '/v1/contacts/{id}/block', 'contacts'),
  r('POST', '/v1/contacts/{id}/unblock', 'contacts'),
  r('POST', '/v1/contacts/{id}/messages', 'contacts'),
  r('GET', '/v1/dispatches', 'contacts'),

  r('GET', '/v1/lists', 'catalog'),
  r('POST', '/v1/lists', 'catalog'),
  r('GET', '/v1/lists/{id}', 'catalog'),
  r('PATCH', '/v1/lists/{id}', 'catalog'),
  r('DELETE', '/v1/lists/{id}', 'catalog'),
  r('GET', '/v1/lists/{id}/contacts', 'catalog'),
  r('GET', '/v1/tags', 'catalog'),
  r('POST', '/v1/tags', 'catalog'),
  r('DELETE', '/v1/tags/{id}', 'catalog'),
  r('GET', '/v1/tags/{id}', 'catalog'),
  r('PATCH', '/v1/tags/{id}', 'catalog'),
  r('GET', '/v1/companies', 'catalog'),
  r('POST', '/v1/companies', 'catalog'),
  r('PATCH', '/v1/companies/{id}', 'catalog'),
  r('DELETE', '/v1/companies/{id}', 'catalog'),
  r('GET', '/v1/companies/{id}', 'catalog'),
  r('GET', '/v1/departments', 'catalog'),
  r('POST', '/v1/departments', 'catalog'),
  r('PATCH', '/v1/departments/{id}', 'catalog'),
  r('DELETE', '/v1/departments/{id}', 'catalog'),
  r('GET', '/v1/departments/{id}', 'catalog'),
  r('GET', '/v1/custom-fields', 'catalog'),
  r('POST', '/v1/custom-fields', 'catalog'),
  r('DELETE', '/v1/custom-fields/{id}', 'catalog'),
  r('GET', '/v1/custom-fields/{id}', 'catalog'),
  r('PATCH', '/v1/custom-fields/{id}', 'catalog'),
  r('GET', '/v1/agents', 'catalog'),
  r('POST', '/v1/agents', 'catalog'),
  r('DELETE', '/v1/agents/{id}', 'catalog'),
  r('GET', '/v1/agents/{id}', 'catalog'),
  r('PATCH', '/v1/agents/{id}', 'catalog'),

  r('POST', '/v1/jobs', 'jobs'),
  r('GET', '/v1/jobs', 'jobs'),
  r('GET', '/v1/jobs/{id}', 'jobs'),
  r('GET', '/v1/jobs/{id}/download', 'jobs'),

  r('POST', '/v1/events', 'events', 'apiKey'),

  r('POST', '/v1/api-keys', 'integrations'),
  r('GET', '/v1/api-keys', 'integrations'),
  r('DELETE', '/v1/api-keys/{id}', 'integrations'),

  r('GET', '/v1/analytics/contacts', 'analytics'),

  r('GET', '/v1/merge-suggestions', 'merge'),
  r('GET', '/v1/contacts/{id}/merge-suggestions', 'merge'),
  r('POST', '/v1/merges', 'merge'),
  r('GET', '/v1/merges', 'merge'),
  r('GET', '/v1/merges/{id}', 'merge'),
  r('POST', '/v1/merges/{id}/undo', 'merge'),
];

/** Query parameters that name an id, on whichever route takes them (the router checks their form). */
export const ID_QUERY_PARAMETERS = ['contactId', 'tag', 'list'] as const;

/** `routeKey` as API Gateway HTTP APIs put it in the event: `"GET /v1/contacts/{id}"`. */
export const routeKey = (route: Pick<RouteDefinition, 'method' | 'path'>): string => `${route.method} ${route.path}`;
