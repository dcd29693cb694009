import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Writable } from 'node:stream';
import { createLogger } from '@payouts/observability';
import { must, waitFor } from '@payouts/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { requestLogging } from '../../apps/api/src/request-log.ts';

/**
 * The API's request lines (apps/api/src/request-log.ts), on a server of their own: one line when a
 * request is done, at the level its status calls for, with the request's id on every line of it.
 */
const lines: Array<Record<string, unknown>> = [];
const destination = new Writable({
  write(chunk: Buffer, _encoding, done) {
    for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
    done();
  },
});
let server: Server;
let base: string;

type Req = Parameters<ReturnType<typeof requestLogging>>[0];
type Res = Parameters<ReturnType<typeof requestLogging>>[1];

beforeAll(async () => {
  const logging = requestLogging(createLogger({ name: 'api', level: 'info', destination }));
  // The middleware as express runs it (it reads what express adds: originalUrl), before a route.
  const routes: Record<string, (req: Req) => number> = {
    '/ok': (req) => {
      req.log.info({ step: 'inside' }, 'handler line');
      return 200;
    },
    '/quiet': () => 200,
    '/missing': () => 404,
    '/broken': () => 500,
  };
  const handler = (incoming: IncomingMessage, response: ServerResponse) => {
    const req = Object.assign(incoming, { originalUrl: incoming.url }) as unknown as Req;
    logging(req, response as unknown as Res, () => {
      response.statusCode = routes[incoming.url ?? '']?.(req) ?? 404;
      response.end('{}');
    });
  };
  server = await new Promise<Server>((resolve) => {
    const s = createServer(handler).listen(0, '127.0.0.1', () => resolve(s));
  });
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});
afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
});

/** One request; `lines(n)` waits for n lines of it (its completion line is written as the response finishes). */
async function call(path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}${path}`, { headers });
  await res.text();
  const id = must(res.headers.get('x-request-id') ?? undefined, 'X-Request-Id');
  const of = () => lines.filter((l) => l.requestId === id);
  return {
    status: res.status,
    id,
    lines: (n: number) => waitFor(() => of().length >= n && of(), { message: `${n} lines of ${path}` }),
    linesNow: of,
  };
}

describe('request lines', () => {
  test("a caller's X-Request-Id is kept and answered; anything else gets a fresh id", async () => {
    expect((await call('/quiet', { 'x-request-id': 'caller-id.1' })).id).toBe('caller-id.1');
    const replaced = await call('/quiet', { 'x-request-id': 'not valid!' });
    expect(replaced.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  test("a 2xx writes no line at info; a handler's own line carries the request and its id", async () => {
    const quiet = await call('/quiet');
    const ok = await call('/ok');
    // A later request's completion line is in, so the quiet one's would be too.
    await (await call('/missing')).lines(1);
    expect(quiet.linesNow()).toEqual([]);
    expect(ok.linesNow()).toEqual([
      expect.objectContaining({
        level: 'info',
        msg: 'handler line',
        step: 'inside',
        req: { id: ok.id, method: 'GET', url: '/ok' },
        requestId: ok.id,
      }),
    ]);
  });

  test('a 4xx is `request completed` at info, a 5xx `request errored` at error, with status and time', async () => {
    const missing = await call('/missing');
    const broken = await call('/broken');
    expect(await missing.lines(1)).toEqual([
      expect.objectContaining({
        level: 'info',
        msg: 'request completed',
        req: { id: missing.id, method: 'GET', url: '/missing' },
        res: { statusCode: 404 },
        responseTime: expect.any(Number),
      }),
    ]);
    expect(await broken.lines(1)).toEqual([
      expect.objectContaining({
        level: 'error',
        msg: 'request errored',
        res: { statusCode: 500 },
        err: expect.objectContaining({ message: 'failed with status code 500' }),
        responseTime: expect.any(Number),
      }),
    ]);
  });
});
