import { once } from 'node:events';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ProviderError } from './errors.ts';
import { classifyTransportError, createHttpClient, TransportError } from './http.ts';

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

const servers: http.Server[] = [];
const sockets = new Set<Socket>();

/** A real HTTP server on a free port; each request's body is read before `handler` sees it. */
async function serve(handler: Handler): Promise<string> {
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => handler(req, body, res));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A port nothing listens on: one the system just handed out and took back. */
async function closedPort(): Promise<number> {
  const server = http.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

/** Resolves once `check` holds, polling; fails after `timeoutMs` (this package may not use the test kit). */
async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

describe('createHttpClient', () => {
  const client = createHttpClient({ timeoutMs: 10_000 });

  it('sends the exact body with its length and the headers given, and returns status, headers and text', async () => {
    const seen: Array<{ method?: string; url?: string; headers: http.IncomingHttpHeaders; body: string }> = [];
    const base = await serve((req, body, res) => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, body });
      res.writeHead(201, { 'content-type': 'application/json', 'x-request-id': 'req_1' });
      res.end('{"id":"pout_1","note":"ünïcode"}');
    });
    const body = '{"amount":100,"narration":"ünïcode"}';
    const res = await client.request({
      method: 'POST',
      url: `${base}/v1/payouts?x=1`,
      headers: { 'content-type': 'application/json', 'x-signature': 'abc' },
      body,
    });
    expect(res).toEqual({
      status: 201,
      headers: expect.objectContaining({ 'content-type': 'application/json', 'x-request-id': 'req_1' }),
      body: '{"id":"pout_1","note":"ünïcode"}',
    });
    expect(seen).toEqual([
      {
        method: 'POST',
        url: '/v1/payouts?x=1',
        headers: expect.objectContaining({
          'content-type': 'application/json',
          'x-signature': 'abc',
          'content-length': String(Buffer.byteLength(body)),
        }),
        body,
      },
    ]);
  });

  it('returns error statuses and redirects as answers: it neither throws on them nor follows them', async () => {
    const base = await serve((req, _body, res) => {
      if (req.url === '/moved') {
        res.writeHead(302, { location: '/elsewhere' });
        res.end();
        return;
      }
      res.writeHead(503, { 'retry-after': '2' });
      res.end('busy');
    });
    expect(await client.request({ method: 'GET', url: `${base}/moved` })).toMatchObject({
      status: 302,
      headers: { location: '/elsewhere' },
    });
    expect(await client.request({ method: 'POST', url: `${base}/x`, body: '{}' })).toMatchObject({
      status: 503,
      headers: { 'retry-after': '2' },
      body: 'busy',
    });
  });

  it('keeps the connection alive between calls', async () => {
    const ports = new Set<number>();
    const base = await serve((req, _body, res) => {
      ports.add(req.socket.remotePort ?? 0);
      res.end('ok');
    });
    for (let i = 0; i < 3; i++) await client.request({ method: 'GET', url: `${base}/status` });
    expect(ports.size).toBe(1);
  });

  it("closes an idle connection before the provider's announced keep-alive ends, so no call picks it up as it is cut", async () => {
    const closed: number[] = [];
    const base = await serve((_req, _body, res) => {
      // The server would keep the connection for a minute, but announces 2 s (as many do).
      res.setHeader('keep-alive', 'timeout=2');
      res.end('ok');
    });
    const server = servers.at(-1) as http.Server;
    server.keepAliveTimeout = 60_000;
    server.on('connection', (socket) => socket.on('close', () => closed.push(Date.now())));
    await client.request({ method: 'GET', url: `${base}/status` });
    // Our side closes it about a second before the announced 2 s; without the agent's own idle
    // timeout the hint is ignored and nothing closes it for the server's minute.
    await until(() => closed.length === 1, 20_000, 'the idle connection closed');
    expect(closed).toHaveLength(1);
  });

  it('a refused connection never reached the provider: unavailable, even for a create', async () => {
    const port = await closedPort();
    const error = await failure(
      client.request({ method: 'POST', url: `http://127.0.0.1:${port}/v1/payouts`, body: '{}' }),
    );
    expect(error).toMatchObject({ kind: 'unavailable', providerCode: 'ECONNREFUSED' });
  });

  it('a deadline passing after the request was sent leaves a create unknown, a read unavailable', async () => {
    const held: ServerResponse[] = [];
    const base = await serve((_req, _body, res) => held.push(res));
    const quick = createHttpClient({ timeoutMs: 200 });
    const create = await failure(quick.request({ method: 'POST', url: `${base}/v1/payouts`, body: '{}' }));
    expect(create).toMatchObject({ kind: 'outcome_unknown', providerCode: 'ETIMEDOUT' });
    const read = await failure(quick.request({ method: 'GET', url: `${base}/v1/payouts/p1` }));
    expect(read).toMatchObject({ kind: 'unavailable', providerCode: 'ETIMEDOUT' });
    expect(held).toHaveLength(2);
  });

  it('a connection cut after the request was sent leaves a create unknown', async () => {
    const base = await serve((req) => req.socket.destroy());
    const error = await failure(client.request({ method: 'POST', url: `${base}/v1/payouts`, body: '{}' }));
    expect(error).toMatchObject({ kind: 'outcome_unknown', providerCode: 'ECONNRESET' });
  });

  it('an answer cut off in the middle of its body leaves a create unknown', async () => {
    const base = await serve((_req, _body, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('{"id":"pout_1",', () => res.socket?.destroy());
    });
    const error = await failure(client.request({ method: 'POST', url: `${base}/v1/payouts`, body: '{}' }));
    expect(error).toMatchObject({ kind: 'outcome_unknown', providerCode: 'ECONNRESET' });
  });

  it('refuses a URL it cannot send, without sending anything', async () => {
    const error = await failure(client.request({ method: 'POST', url: 'ftp://127.0.0.1/v1/payouts', body: '{}' }));
    expect(error).toMatchObject({ kind: 'unavailable', providerCode: 'ERR_INVALID_PROTOCOL' });
  });
});

describe('classifyTransportError', () => {
  it('a deadline before any connection was open never reached the provider', () => {
    const error = classifyTransportError(new TransportError('ETIMEDOUT', 'no answer', false), 'POST');
    expect(error).toMatchObject({ kind: 'unavailable', providerCode: 'ETIMEDOUT' });
  });

  it('a name that does not resolve never reached the provider, whatever the connection flag says', () => {
    const error = classifyTransportError(new TransportError('ENOTFOUND', 'getaddrinfo', true), 'POST');
    expect(error).toMatchObject({ kind: 'unavailable' });
  });

  it('anything it does not recognise leaves the outcome unknown', () => {
    expect(classifyTransportError(new Error('odd'), 'GET')).toMatchObject({
      kind: 'outcome_unknown',
      providerCode: 'ERR_TRANSPORT',
    });
  });
});
