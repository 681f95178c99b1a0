import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { ROUTES, routeKey, type HttpArea, type RouteDefinition } from '../../functions/http/routes.js';
import { parseTokenRequest, type LocalIssuer } from './jwt.js';

type LambdaHandler = (event: unknown, context: Context) => Promise<{ statusCode?: number; headers?: Record<string, string>; body?: string; isBase64Encoded?: boolean }>;

const MAX_BODY_BYTES = 10 * 1024 * 1024; // API Gateway HTTP API payload limit

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
};

interface CompiledRoute {
  route: RouteDefinition;
  pattern: RegExp;
  params: string[];
}

function compile(route: RouteDefinition): CompiledRoute {
  const params: string[] = [];
  const source = route.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{(\w+)\\?\}/g, (_m, name: string) => {
    params.push(name);
    return '([^/]+)';
  });
  return { route, pattern: new RegExp(`^${source.replace(/\\\{|\\\}/g, '')}$`), params };
}

export function lambdaContext(functionName: string, timeoutMs: number): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(text);
}

const errorBody = (code: string, message: string, fields?: Record<string, string>) => ({ error: { code, message, ...(fields ? { fields } : {}) } });

async function readBody(req: IncomingMessage): Promise<Buffer | 'too_large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return 'too_large';
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * Whether a request's Host header names this machine: `localhost` (and
 * `*.localhost`, which browsers resolve to loopback), a loopback address, or
 * one of `extraHosts` (the address and names HOST opened the host to). A page
 * that reaches the host through DNS rebinding carries its own domain here,
 * so it is refused. A request without a Host header names no other machine.
 */
export function isLocalHostHeader(header: string | undefined, extraHosts: ReadonlySet<string> = new Set()): boolean {
  if (header === undefined || header === '') return true;
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(header);
  const hostname = (bracketed ? bracketed[1] : header.replace(/:\d+$/, '')).toLowerCase().replace(/\.$/, '');
  if (hostname === 'localhost' || hostname.endsWith('.localhost')) return true;
  if (isIP(hostname) === 4 && hostname.startsWith('127.')) return true;
  if (isIP(hostname) === 6 && (hostname === '::1' || hostname === '::ffff:127.0.0.1')) return true;
  return extraHosts.has(hostname);
}

export interface HttpHostOptions {
  issuer: Pick<LocalIssuer, 'sign' | 'verify'>;
  /** Host names besides localhost and loopback addresses that requests may name (see isLocalHostHeader). @default none */
  extraHosts?: ReadonlySet<string>;
  webDir: string;
  /** Extra JSON served at /config.json for the SPA. */
  spaConfig: Record<string, unknown>;
  isHealthy: () => boolean;
  /** The stream's figures for `GET /health` (API.md): records waiting and records given up. */
  streamHealth?: () => Promise<{ lagRecords: number; failedRecords: number }>;
  /** Loads an area's handler module (the real Lambda entry). */
  loadArea?: (area: HttpArea) => Promise<LambdaHandler>;
  log?: (line: string) => void;
}

const defaultLoadArea = async (area: HttpArea): Promise<LambdaHandler> =>
  ((await import(`../../functions/http/${area}.ts`)) as { handler: LambdaHandler }).handler;

/**
 * The local stand-in for API Gateway: builds HTTP API payload v2.0 events,
 * verifies JWTs like the JWT authorizer, and invokes the real handlers. It
 * also serves the built SPA, `/health` and `POST /local/token`.
 */
export function createHttpHost(options: HttpHostOptions): Server {
  const compiled = ROUTES.map(compile);
  const handlers = new Map<HttpArea, Promise<LambdaHandler>>();
  const loadArea = options.loadArea ?? defaultLoadArea;
  const handlerFor = (area: HttpArea) => {
    let handler = handlers.get(area);
    if (!handler) {
      handler = loadArea(area);
      handlers.set(area, handler);
    }
    return handler;
  };

  return createServer(async (req, res) => {
    const started = performance.now();
    const url = new URL(req.url ?? '/', 'http://localhost');
    try {
      if (!isLocalHostHeader(req.headers.host, options.extraHosts)) {
        return sendJson(res, 403, errorBody('forbidden', 'This server answers only requests addressed to this machine (the Host header names another one).'));
      }
      if (url.pathname === '/health' && req.method === 'GET') {
        if (!options.isHealthy()) return sendJson(res, 503, { status: 'starting' });
        return sendJson(res, 200, { status: 'ok', stream: (await options.streamHealth?.()) ?? { lagRecords: 0, failedRecords: 0 } });
      }
      if (url.pathname === '/local/token' && req.method === 'POST') {
        const raw = await readBody(req);
        if (raw === 'too_large') return sendJson(res, 413, errorBody('too_large', 'The request body is too large.'));
        let body: unknown;
        try {
          body = raw.length ? JSON.parse(raw.toString('utf8')) : {};
        } catch {
          return sendJson(res, 400, errorBody('validation_error', 'The request body is not valid JSON.', { body: 'must be valid JSON' }));
        }
        const parsed = parseTokenRequest(body);
        if ('fields' in parsed) return sendJson(res, 400, errorBody('validation_error', 'The request has invalid fields.', parsed.fields));
        return sendJson(res, 200, { token: await options.issuer.sign(parsed.sub, parsed.role, { name: parsed.name }) });
      }
      if (url.pathname === '/config.json') return sendJson(res, 200, options.spaConfig);
      if (url.pathname.startsWith('/v1/') || url.pathname === '/v1') return await invokeRoute(req, res, url);
      return serveStatic(res, url.pathname);
    } catch (error) {
      options.log?.(`host error: ${(error as Error).stack ?? error}`);
      if (!res.headersSent) sendJson(res, 500, errorBody('internal', 'Something went wrong on our side.'));
      else res.end();
    } finally {
      if (url.pathname.startsWith('/v1/')) options.log?.(`${req.method} ${url.pathname} ${res.statusCode} ${(performance.now() - started).toFixed(1)}ms`);
    }
  });

  async function invokeRoute(req: IncomingMessage, res: ServerResponse, url: URL) {
    const method = (req.method ?? 'GET').toUpperCase();
    let match: { c: CompiledRoute; values: string[] } | undefined;
    for (const c of compiled) {
      if (c.route.method !== method) continue;
      const m = c.pattern.exec(url.pathname);
      if (m) {
        match = { c, values: m.slice(1) };
        break;
      }
    }
    if (!match) return sendJson(res, 404, errorBody('not_found', 'No such route.'));
    const { route, params } = match.c;

    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(req.headers)) if (value !== undefined) headers[key.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;

    let claims: Record<string, string | number | boolean | string[]> | undefined;
    if (route.auth === 'jwt') {
      const auth = headers.authorization ?? '';
      const token = /^Bearer\s+(.+)$/i.exec(auth)?.[1];
      const payload = token ? await options.issuer.verify(token) : undefined;
      if (!payload) return sendJson(res, 401, errorBody('unauthorized', 'A valid bearer token is required.'));
      claims = {};
      for (const [key, value] of Object.entries(payload)) {
        // API Gateway hands array claims to the function as "[a b]" strings.
        claims[key] = Array.isArray(value) ? `[${value.join(' ')}]` : typeof value === 'object' ? JSON.stringify(value) : (value as string | number | boolean);
      }
    }

    const raw = await readBody(req);
    if (raw === 'too_large') return sendJson(res, 413, errorBody('too_large', 'The request body is too large.'));
    const pathParameters: Record<string, string> = {};
    try {
      params.forEach((name, i) => (pathParameters[name] = decodeURIComponent(match!.values[i])));
    } catch {
      // A malformed escape (`%E0%A4%A`) names nothing; API Gateway does not pass it on either.
      return sendJson(res, 404, errorBody('not_found', 'No such route.'));
    }
    const query: Record<string, string> = {};
    for (const [key, value] of url.searchParams) query[key] = query[key] === undefined ? value : `${query[key]},${value}`;
    const now = new Date();
    const event = {
      version: '2.0',
      routeKey: routeKey(route),
      rawPath: url.pathname,
      rawQueryString: url.searchParams.toString(),
      headers,
      queryStringParameters: Object.keys(query).length ? query : undefined,
      pathParameters: Object.keys(pathParameters).length ? pathParameters : undefined,
      requestContext: {
        accountId: '000000000000',
        apiId: 'local',
        domainName: headers.host ?? 'localhost',
        domainPrefix: 'local',
        http: { method, path: url.pathname, protocol: 'HTTP/1.1', sourceIp: req.socket.remoteAddress ?? '127.0.0.1', userAgent: headers['user-agent'] ?? '' },
        requestId: randomUUID(),
        routeKey: routeKey(route),
        stage: '$default',
        time: now.toUTCString(),
        timeEpoch: now.getTime(),
        ...(claims ? { authorizer: { jwt: { claims, scopes: null } } } : {}),
      },
      body: raw.length ? raw.toString('utf8') : undefined,
      isBase64Encoded: false,
    };
    const handler = await handlerFor(route.area);
    const result = await handler(event, lambdaContext(`local-${route.area}`, 29_000));
    const status = result?.statusCode ?? 200;
    const body = result?.body === undefined ? '' : result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body;
    res.writeHead(status, result?.headers ?? {});
    res.end(body);
  }

  function serveStatic(res: ServerResponse, pathname: string) {
    const root = options.webDir;
    const safe = normalize(decodeURIComponent(pathname)).replace(/^(\.\.[/\\])+/, '');
    let file = join(root, safe);
    if (!file.startsWith(root) || !existsSync(file) || statSync(file).isDirectory()) file = join(root, 'index.html');
    if (!existsSync(file)) {
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
      return res.end('The SPA is not built yet: run `npm run build:web` (npm start does it for you).');
    }
    const immutable = file.includes(`${join(root, 'assets')}`);
    res.writeHead(200, {
      'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
      'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'strict-origin-when-cross-origin',
      'x-frame-options': 'DENY',
    });
    createReadStream(file).pipe(res);
  }
}
