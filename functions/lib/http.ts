import middy from '@middy/core';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { API_ROUTES, type RouteKey } from '../../shared/api-routes.js';
import { can, highestRole, type Permission, type Role } from '../../shared/roles.js';
import { fieldsOf, type BodyOutput } from '../../shared/schemas/fields.js';
import type { AreaTable, RouteDefinition } from '../http/routes.js';
import { cancellationCodes, ForbiddenError, HttpError, NotFoundError, UnauthorizedError, ValidationError } from './errors.js';
import { logger } from './logger.js';
import { runAs, type Actor } from './actor.js';
import { describeWrite } from '../audit/audit-actions.js';
import { appendAudit } from '../audit/audit-append.js';

export type HttpEvent = APIGatewayProxyEventV2WithJWTAuthorizer;
export type HttpResult = APIGatewayProxyStructuredResultV2;

export interface Principal {
  readonly sub: string;
  readonly name: string;
  readonly role: Role;
}

/** The principal a route's handler gets: always one behind a permission, none on `apiKey` and `public` routes. */
export type PrincipalOf<K extends RouteKey> = (typeof API_ROUTES)[K] extends Permission ? Principal : undefined;
/** The body a route's handler gets: what the body schema of its spec accepted. */
export type BodyOf<Spec> = Spec extends { body: infer S } ? BodyOutput<S> : undefined;

/**
 * What a route handler receives: plain inputs the router has already
 * checked (the caller may call the route, the ids are ids, the body is what
 * the route's schema takes), never the raw event.
 */
export interface Request<K extends RouteKey = RouteKey, Spec = unknown> {
  readonly principal: PrincipalOf<K>;
  readonly params: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string>>;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: BodyOf<Spec>;
  /** Raw body text, for routes that take non-JSON payloads. */
  readonly rawBody: string;
  /**
   * Epoch ms at which the function runs out of time (the Lambda context's
   * remaining time when the request came in). Routes that work inline for a
   * budget stop before it, so a slow moment answers "running", never a 500.
   */
  readonly deadline: number;
}

export interface Reply {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

export type RouteHandler<K extends RouteKey = RouteKey, Spec = unknown> = (request: Request<K, Spec>) => Promise<Reply | unknown>;

/** A handler for every route of an area's table. */
export type TableHandlers<T extends AreaTable> = { [K in keyof T & RouteKey]: RouteHandler<K, T[K]> };

/** What the router reads of a route. */
export type RouterRoute = Pick<RouteDefinition, 'key' | 'access' | 'body'>;

export const reply = (status: number, body?: unknown, headers?: Record<string, string>): Reply => ({ status, body, headers });
const isReply = (value: unknown): value is Reply =>
  typeof value === 'object' && value !== null && 'status' in value && typeof (value as Reply).status === 'number' && Object.keys(value).every((k) => k === 'status' || k === 'body' || k === 'headers');

/**
 * API Gateway HTTP APIs hand JWT claims to the function as strings; an array
 * claim such as `cognito:groups` arrives as `"[admin operator]"`.
 */
export function groupsFromClaim(claim: unknown): string[] {
  if (Array.isArray(claim)) return claim.map(String);
  if (typeof claim !== 'string') return [];
  const text = claim.trim();
  if (text.startsWith('[') && text.endsWith(']')) {
    const inner = text.slice(1, -1).trim();
    if (!inner) return [];
    try {
      const parsed = JSON.parse(text);
      if (Array.isArray(parsed)) return parsed.map(String);
    } catch {
      /* API Gateway's own "[a b]" form, handled below */
    }
    return inner.split(/[\s,]+/).filter(Boolean);
  }
  return text.split(/[\s,]+/).filter(Boolean);
}

export function principalFrom(event: HttpEvent): Principal | undefined {
  const claims = event.requestContext?.authorizer?.jwt?.claims;
  if (!claims || typeof claims.sub !== 'string') return undefined;
  const role = highestRole(groupsFromClaim(claims['cognito:groups']));
  if (!role) return undefined;
  const name = typeof claims.name === 'string' && claims.name ? claims.name : String(claims['cognito:username'] ?? claims.sub);
  return { sub: claims.sub, name, role };
}

/**
 * Ids are ULIDs or other short tokens of letters, digits, `_` and `-`. One
 * over DynamoDB's key size (or with odd characters) names nothing: checking
 * it here keeps it away from DynamoDB, whose ValidationException would
 * otherwise answer for it.
 */
export const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** Path parameters: a malformed id names no resource (404). */
function checkedParams(params: Record<string, string>): Record<string, string> {
  for (const value of Object.values(params)) if (!ID_PATTERN.test(value)) throw new NotFoundError();
  return params;
}

/** Query parameters that name an id, on whichever route takes them: the router checks their form. */
export const ID_QUERY_PARAMETERS = ['contactId', 'tag', 'list'] as const;

/** Field errors for the id-valued query parameters (ID_QUERY_PARAMETERS) of a query or filter. */
export function idFieldErrors(values: Readonly<Record<string, unknown>>): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const name of ID_QUERY_PARAMETERS) {
    const value = values[name];
    if (typeof value === 'string' && value !== '' && !ID_PATTERN.test(value)) errors[name] = 'is not a valid id';
  }
  return errors;
}

/** Query parameters that name an id: a malformed one is a field-level 400. */
function checkedQuery(query: Record<string, string>): Record<string, string> {
  const errors = idFieldErrors(query);
  if (Object.keys(errors).length) throw new ValidationError(errors);
  return query;
}

/**
 * Who is calling, checked against the route's access: 401 without valid
 * credentials, 403 when the role lacks the route's permission.
 */
/** Who is calling: a person (a token's principal), an integration (its API key's id) or nobody (public routes). */
type Caller = { principal?: Principal; apiKeyId?: string };

async function authenticate(route: RouterRoute, event: HttpEvent, headers: Record<string, string>, options: RouterOptions): Promise<Caller> {
  if (route.access === 'public') return {};
  if (route.access === 'apiKey') {
    const keyId = options.apiKey ? await options.apiKey(headers['x-api-key']) : undefined;
    if (!keyId) throw new UnauthorizedError('A valid x-api-key header is required.');
    logger.appendKeys({ apiKeyId: keyId });
    return { apiKeyId: keyId };
  }
  const principal = principalFrom(event);
  if (!principal) throw new UnauthorizedError();
  if (!can(principal.role, route.access)) throw new ForbiddenError();
  return { principal };
}

const MAX_BODY_BYTES = 6 * 1024 * 1024; // Lambda's synchronous payload limit

function rawBodyOf(event: HttpEvent): string {
  if (event.body === undefined || event.body === null || event.body === '') return '';
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
}

function jsonBody(event: HttpEvent, rawBody: string): unknown {
  const contentType = (event.headers?.['content-type'] ?? event.headers?.['Content-Type'] ?? '').toLowerCase();
  if (rawBody === '' || (contentType && !contentType.includes('json'))) return undefined;
  try {
    return JSON.parse(rawBody);
  } catch {
    throw new ValidationError({ body: 'must be valid JSON' }, 'The request body is not valid JSON.');
  }
}

/** The body as the route's schema takes it: 400 `validation_error` with the field messages otherwise. */
function parsedBody(route: RouterRoute, event: HttpEvent, rawBody: string): unknown {
  if (!route.body) return undefined;
  const parsed = route.body.safeParse(jsonBody(event, rawBody));
  if (!parsed.success) throw new ValidationError(fieldsOf(parsed.error.issues));
  return parsed.data;
}

function lowerHeaders(headers: HttpEvent['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers ?? {})) if (value !== undefined) out[key.toLowerCase()] = value;
  return out;
}

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };

export function errorResult(error: unknown): HttpResult {
  if (error instanceof HttpError) {
    const body: { error: { code: string; message: string; fields?: Record<string, string> } } = {
      error: { code: error.code, message: error.message },
    };
    if (error.fields && Object.keys(error.fields).length > 0) body.error.fields = error.fields;
    return { statusCode: error.status, headers: JSON_HEADERS, body: JSON.stringify(body) };
  }
  const name = (error as { name?: string })?.name;
  if (name === 'ProvisionedThroughputExceededException' || name === 'ThrottlingException' || name === 'RequestLimitExceeded') {
    return errorResult(new HttpError(429, 'throttled', 'The service is busy; retry shortly.'));
  }
  // DynamoDB refuses a key or value it cannot take (too long, empty, too large an item) with a
  // ValidationException; what reaches it comes from the request, so the request is what is wrong.
  // Checks before the call give field-level messages; this is the net under them.
  if (name === 'ValidationException' || cancellationCodes(error).includes('ValidationError')) {
    logger.warn('DynamoDB refused a value of the request', { error: error as Error });
    return errorResult(new ValidationError({ request: 'holds a value the database cannot take (too long, empty or malformed)' }, 'The request has a value that cannot be used.'));
  }
  logger.error('unhandled error', { error: error as Error });
  return {
    statusCode: 500,
    headers: JSON_HEADERS,
    body: JSON.stringify({ error: { code: 'internal', message: 'Something went wrong on our side.' } }),
  };
}

function toResult(value: unknown): HttpResult {
  const r: Reply = isReply(value) ? value : { status: 200, body: value };
  if (r.body === undefined || r.status === 204) return { statusCode: r.status, headers: { ...r.headers } };
  if (typeof r.body === 'string' && r.headers?.['content-type']) {
    return { statusCode: r.status, headers: r.headers, body: r.body };
  }
  return { statusCode: r.status, headers: { ...JSON_HEADERS, ...r.headers }, body: JSON.stringify(r.body) };
}

export interface RouterOptions {
  /** Checks an integration's `x-api-key` (routes with `apiKey` access): the key's id, or undefined for none. */
  readonly apiKey?: (key: string | undefined) => Promise<string | undefined>;
}

/** What a write that succeeded did, for the audit log (the table router's, ../audit/). */
export interface WriteDone {
  readonly routeKey: string;
  /** The person or API key the request ran as. */
  readonly actor: Actor;
  readonly params: Record<string, string>;
  readonly body: unknown;
  readonly answer: unknown;
}

interface RouterHooks {
  /** Called after a request other than a GET answered with a 2xx, before the answer leaves. */
  readonly written?: (done: WriteDone) => Promise<void>;
}

/**
 * One Lambda per API area: a router over the area's table (./tables/ of
 * functions/http). Before a handler runs it checks, in this order, the
 * caller (401/403), the path's ids (404), the id-valued query parameters
 * and the body (400). Middleware first, handler last; the error middleware
 * at the edge hides 5xx details.
 */
export function httpRouter<T extends AreaTable>(table: T, handlers: TableHandlers<T>, options: RouterOptions = {}) {
  const routes = Object.entries(table as AreaTable).map(([key, spec]) => ({ key: key as RouteKey, access: API_ROUTES[key as RouteKey], body: spec?.body }));
  return routerOf(routes, handlers as unknown as Record<string, RouteHandler>, { ...options, written: auditWrite });
}

/** Every write of the route table that succeeded goes into the audit log (../audit/audit-actions.ts says what it records). */
async function auditWrite(done: WriteDone): Promise<void> {
  const record = describeWrite(done.routeKey, done);
  const actor = done.actor.kind === 'person' ? { kind: 'person' as const, id: done.actor.sub } : done.actor.kind === 'apiKey' ? { kind: 'apiKey' as const, id: done.actor.id } : undefined;
  if (record && actor) await appendAudit(actor, record);
}

/** The router over any routes (the unit tests give it their own). */
export function routerOf(routes: readonly RouterRoute[], handlers: Readonly<Record<string, RouteHandler>>, options: RouterOptions & RouterHooks = {}) {
  const byKey = new Map(routes.map((route) => [route.key as string, route]));
  const base = async (event: HttpEvent, context: Context): Promise<HttpResult> => {
    const deadline = Date.now() + (context?.getRemainingTimeInMillis?.() ?? 29_000);
    const route = byKey.get(event.routeKey);
    const handler = handlers[event.routeKey];
    if (!route || !handler) return errorResult(new HttpError(404, 'not_found', 'No such route.'));
    const rawBody = rawBodyOf(event);
    if (Buffer.byteLength(rawBody) > MAX_BODY_BYTES) {
      return errorResult(new HttpError(413, 'too_large', 'The request body is too large.'));
    }
    const headers = lowerHeaders(event.headers);
    const { principal, apiKeyId } = await authenticate(route, event, headers, options);
    const params = checkedParams((event.pathParameters ?? {}) as Record<string, string>);
    const query = checkedQuery((event.queryStringParameters ?? {}) as Record<string, string>);
    const body = parsedBody(route, event, rawBody);
    const actor: Actor | undefined = principal ? { kind: 'person', sub: principal.sub } : apiKeyId ? { kind: 'apiKey', id: apiKeyId } : undefined;
    const run = () => handler({ principal, params, query, headers, body, rawBody, deadline } as Request);
    const value = actor ? await runAs(actor, run) : await run();
    const result = toResult(value);
    const status = result.statusCode ?? 200;
    if (actor && options.written && !route.key.startsWith('GET ') && status >= 200 && status < 300) {
      await options.written({ routeKey: route.key, actor, params, body, answer: isReply(value) ? value.body : value });
    }
    return result;
  };
  return middy(base).use({
    before: (request) => {
      logger.addContext(request.context);
      logger.appendKeys({ routeKey: request.event.routeKey });
    },
    onError: (request) => {
      request.response = errorResult(request.error);
    },
  });
}
