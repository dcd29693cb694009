export interface HttpAnswer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are read loosely and checked where used
  body: any;
}

/** One HTTP call with a JSON body and a ceiling (15 s unless told): the body comes back parsed when it is JSON. */
export async function http(
  url: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<HttpAnswer> {
  const res = await fetch(url, {
    method: init.method ?? 'GET',
    headers: { ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}), ...init.headers },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    signal: AbortSignal.timeout(init.timeoutMs ?? 15_000),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {}
  return { status: res.status, body };
}
