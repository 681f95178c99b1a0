import { request } from 'node:http';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLocalHostHeader } from '../../infra/local/http-host.js';
import { startLocalStack } from '../support/local-stack.js';

type Stack = Awaited<ReturnType<typeof startLocalStack>>;

/** An IPv4 address of this machine other than loopback: where another machine on the network would connect. */
const outsideAddress = Object.values(networkInterfaces())
  .flat()
  .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

function connects(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A request with a Host header of our choosing (fetch does not let a caller set it). */
function call(port: number, method: string, path: string, host: string, body?: unknown): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { host, 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
    });
    req.once('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

describe('isLocalHostHeader', () => {
  it('accepts localhost, *.localhost and loopback addresses, with or without a port', () => {
    for (const host of ['localhost', 'localhost:3000', 'LOCALHOST:3000', 'app.localhost:5173', '127.0.0.1', '127.0.0.1:3000', '127.1.2.3:80', '[::1]:3000', '[::1]', 'localhost.:3000', undefined, '']) {
      expect(isLocalHostHeader(host), String(host)).toBe(true);
    }
  });

  it('refuses names of other machines, including ones made to look local', () => {
    for (const host of ['evil.example', 'evil.example:3000', 'localhost.evil.example', '127.0.0.1.nip.io:3000', '192.168.0.10:3000', '[2001:db8::1]:3000', '0.0.0.0:3000']) {
      expect(isLocalHostHeader(host), host).toBe(false);
    }
  });

  it('accepts the extra names HOST opened the host to, and only those', () => {
    const extra = new Set(['192.168.0.10', 'devbox']);
    expect(isLocalHostHeader('192.168.0.10:3000', extra)).toBe(true);
    expect(isLocalHostHeader('DEVBOX:3000', extra)).toBe(true);
    expect(isLocalHostHeader('192.168.0.11:3000', extra)).toBe(false);
  });
});

describe('the local stack by default', { timeout: 120_000 }, () => {
  let stack: Stack;
  beforeAll(async () => {
    delete process.env.HOST;
    stack = await startLocalStack();
  });
  afterAll(() => stack?.stop());

  it('listens on loopback only', async () => {
    expect(await connects('127.0.0.1', stack.port)).toBe(true);
    if (outsideAddress) expect(await connects(outsideAddress, stack.port)).toBe(false);
  });

  it('runs DynamoDB Local on loopback only', async () => {
    const port = Number(new URL(stack.dynamoEndpoint).port);
    expect(await connects('127.0.0.1', port)).toBe(true);
    if (outsideAddress) expect(await connects(outsideAddress, port)).toBe(false);
  });

  it('refuses a request whose Host header names another machine (DNS rebinding), before handing out a token', async () => {
    const refused = await call(stack.port, 'POST', '/local/token', `rebind.evil.example:${stack.port}`, { sub: 'mallory', role: 'admin' });
    expect(refused).toEqual({ status: 403, body: { error: { code: 'forbidden', message: expect.any(String) } } });
    expect((await call(stack.port, 'GET', '/v1/openapi.json', `evil.example:${stack.port}`)).status).toBe(403);
    expect((await call(stack.port, 'GET', '/config.json', `evil.example:${stack.port}`)).status).toBe(403);
  });

  it('serves requests addressed to localhost or a loopback address', async () => {
    for (const host of [`localhost:${stack.port}`, `127.0.0.1:${stack.port}`]) {
      const r = await call(stack.port, 'POST', '/local/token', host, { sub: 'ana', role: 'admin' });
      expect(r.status, host).toBe(200);
      expect(r.body.token).toEqual(expect.any(String));
    }
    expect((await stack.api.as('agent').get('/v1/me')).status).toBe(200);
  });
});

describe('the local stack with HOST=0.0.0.0', { timeout: 120_000 }, () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startLocalStack({ host: '0.0.0.0' });
  });
  afterAll(() => stack?.stop());

  it.skipIf(!outsideAddress)('is reachable on this machine\'s addresses, by its address, and still refuses other names', async () => {
    expect(await connects(outsideAddress!, stack.port)).toBe(true);
    expect((await call(stack.port, 'GET', '/config.json', `${outsideAddress}:${stack.port}`)).status).toBe(200);
    expect((await call(stack.port, 'GET', '/config.json', `evil.example:${stack.port}`)).status).toBe(403);
  });
});
