import middy from '@middy/core';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { can, highestRole, type Permission, type Role } from '../../shared/roles.js';
import { ID_QUERY_PARAMETERS } from '../http/routes.js';
import { cancellationCodes, ForbiddenError, HttpError, NotFoundError, UnauthorizedError, ValidationError } from './errors.js';
import { logger } from './logger.js';

export type HttpEvent = APIGatewayProxyEventV2WithJWTAuthorizer;
export type HttpResult = APIGatewayProxyStructuredResultV2;

export interface Principal {
  readonly sub: string;
  readonly name: string;
  readonly role: Role;
}

/** What a route handler receives: plain, parsed inputs, never the raw event. */
export interface Request {
  readonly principal?: Principal;
  readonly params: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string>>;
  readonly headers: Readonly<Record<string, string>>;
  /** Parsed JSON body (undefined when none was sent). */
  readonly body: unknown;
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

export type RouteHandler = (request: Request) => Promise<Reply | unknown>;

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

/** Throws 401 without a principal and 403 when the role lacks the permission. */
export function authorize(request: Request, permission: Permission): Principal {
  const principal = request.principal;
  if (!principal) throw new UnauthorizedError();
  if (!can(principal.role, permission)) throw new ForbiddenError();
  return principal;
}

const MAX_BODY_BYTES = 6 * 1024 * 1024; // Lambda's synchronous payload limit

function rawBodyOf(event: HttpEvent): string {
  if (event.body === undefined || event.body === null || event.body === '') return '';
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
}

/**
 * Parses the JSON body on first use, so a handler authorizes the caller
 * before a malformed body can answer for it (401/403 come before 400).
 */
function lazyJsonBody(event: HttpEvent, rawBody: string): () => unknown {
  let parsed: { value: unknown } | undefined;
  return () => {
    if (parsed) return parsed.value;
    const contentType = (event.headers?.['content-type'] ?? event.headers?.['Content-Type'] ?? '').toLowerCase();
    if (rawBody === '' || (contentType && !contentType.includes('json'))) parsed = { value: undefined };
    else {
      try {
        parsed = { value: JSON.parse(rawBody) };
      } catch {
        throw new ValidationError({ body: 'must be valid JSON' }, 'The request body is not valid JSON.');
      }
    }
    return parsed.value;
  };
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

/**
 * One Lambda per API area: a router over the area's route keys. Middleware
 * first, handler last; the error middleware at the edge hides 5xx details.
 */
export function httpRouter(routes: Record<string, RouteHandler>) {
  const base = async (event: HttpEvent, context: Context): Promise<HttpResult> => {
    const deadline = Date.now() + (context?.getRemainingTimeInMillis?.() ?? 29_000);
    const route = routes[event.routeKey];
    if (!route) return errorResult(new HttpError(404, 'not_found', 'No such route.'));
    const rawBody = rawBodyOf(event);
    if (Buffer.byteLength(rawBody) > MAX_BODY_BYTES) {
      return errorResult(new HttpError(413, 'too_large', 'The request body is too large.'));
    }
    const body = lazyJsonBody(event, rawBody);
    const params = (event.pathParameters ?? {}) as Record<string, string>;
    const query = (event.queryStringParameters ?? {}) as Record<string, string>;
    // Checked on first use, like the body, so that 401/403 come before 404/400.
    const request: Request = {
      principal: principalFrom(event),
      get params() {
        return checkedParams(params);
      },
      get query() {
        return checkedQuery(query);
      },
      headers: lowerHeaders(event.headers),
      get body() {
        return body();
      },
      rawBody,
      deadline,
    };
    return toResult(await route(request));
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
