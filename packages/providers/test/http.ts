import type { HttpClient, HttpRequest, HttpResponse } from '../src/contract/index.ts';

/*
 * The HTTP side of every provider's fixtures: adapters are tested against a scripted client, never
 * the network.
 */

export interface FakeHttp extends HttpClient {
  readonly requests: HttpRequest[];
}

/** An HttpClient answering from a script, in order; it records every request. No network. */
export function fakeHttp(...responses: Array<Partial<HttpResponse> | Error>): FakeHttp {
  const requests: HttpRequest[] = [];
  return {
    requests,
    async request(req) {
      requests.push(req);
      const next = responses.shift();
      if (next === undefined) throw new Error(`unexpected request ${req.method} ${req.url}`);
      if (next instanceof Error) throw next;
      return { status: 200, headers: {}, body: '', ...next };
    },
  };
}

export function json(status: number, body: unknown, headers: HttpResponse['headers'] = {}): HttpResponse {
  return { status, headers, body: typeof body === 'string' ? body : JSON.stringify(body) };
}
