import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  fakeHttp,
  json,
  PAGE_NOW,
  pagePayout,
  pageRequestBody,
  pageResponse,
  TEST_CONFIG,
} from '../../test/thai-gateway/fixtures.ts';
import { createThaiGatewayAdapter } from './adapter.ts';
import { REPLAY_WINDOW_MS, signature, signedHeaders, signingMessage, verifySignature } from './signing.ts';

describe('Thai gateway request signing', () => {
  it('matches a fixed test vector (computed once with node:crypto)', () => {
    expect(signature('thai_test_secret', '1704067200000', '{"amount":"1000.00"}')).toBe(
      'sha256=6725b8778d580a48a9ba18abb6999fb867464e229f75430e12845c20dbbcbf2b',
    );
  });

  it('signs what the page\'s example signs: timestamp + "." + body, with the API secret', () => {
    // The page's own flow, line for line (API_SECRET, body, timestamp, message, signature).
    const API_SECRET = 'thai_test_secret';
    const body = pageRequestBody();
    const timestamp = PAGE_NOW.toString();
    const message = `${timestamp}.${body}`;
    const pageSignature = crypto.createHmac('sha256', API_SECRET).update(message).digest('hex');

    expect(signingMessage(timestamp, body).toString('utf8')).toBe(message);
    expect(signedHeaders({ apiKey: 'k', apiSecret: API_SECRET, now: () => PAGE_NOW, body })).toEqual({
      'X-API-Key': 'k',
      'X-Timestamp': timestamp,
      'X-Signature': `sha256=${pageSignature}`,
    });
  });

  it("the adapter sends the page's body bytes, and the signature over exactly those bytes", async () => {
    const http = fakeHttp(json(201, pageResponse()));
    await createThaiGatewayAdapter({ ...TEST_CONFIG, http }).submit(pagePayout());
    const [req] = http.requests;
    const body = pageRequestBody();
    expect(req?.body).toBe(body);
    const expected = crypto.createHmac('sha256', TEST_CONFIG.apiSecret).update(`${PAGE_NOW}.${body}`).digest('hex');
    expect(req?.headers?.['X-Signature']).toBe(`sha256=${expected}`);
    expect(req?.headers?.['X-Timestamp']).toBe(String(PAGE_NOW));
  });

  it('a GET signs an empty body: the timestamp and a dot', () => {
    const expected = crypto.createHmac('sha256', 's').update('1704067200000.').digest('hex');
    expect(signature('s', '1704067200000', '')).toBe(`sha256=${expected}`);
  });

  it('signs raw bytes as they are, even when they are not valid UTF-8', () => {
    const raw = Buffer.from([0x7b, 0xff, 0xfe, 0x7d]);
    const expected = crypto
      .createHmac('sha256', 's')
      .update(Buffer.concat([Buffer.from('1.'), raw]))
      .digest('hex');
    expect(signature('s', '1', raw)).toBe(`sha256=${expected}`);
    expect(signature('s', '1', raw)).not.toBe(signature('s', '1', raw.toString('utf8')));
  });

  it('uses the injected clock, truncated to whole milliseconds', () => {
    const headers = signedHeaders({ apiKey: 'k', apiSecret: 's', now: () => 1704067200000.7, body: '' });
    expect(headers['X-Timestamp']).toBe('1704067200000');
  });
});

describe('verifySignature', () => {
  const body = '{"id":"evt_1"}';
  const ts = String(PAGE_NOW);
  const good = signature('secret', ts, body);
  const verify = (over: Partial<Parameters<typeof verifySignature>[0]>) =>
    verifySignature({ secret: 'secret', timestamp: ts, signature: good, rawBody: body, now: PAGE_NOW, ...over });

  it('accepts a good signature within the window, either side', () => {
    expect(verify({})).toEqual({ ok: true });
    expect(verify({ now: PAGE_NOW + REPLAY_WINDOW_MS })).toEqual({ ok: true });
    expect(verify({ now: PAGE_NOW - REPLAY_WINDOW_MS })).toEqual({ ok: true });
    expect(verify({ rawBody: Buffer.from(body) })).toEqual({ ok: true });
  });

  it('refuses a timestamp outside five minutes, old or from the future', () => {
    expect(REPLAY_WINDOW_MS).toBe(300_000);
    expect(verify({ now: PAGE_NOW + REPLAY_WINDOW_MS + 1 }).ok).toBe(false);
    expect(verify({ now: PAGE_NOW - REPLAY_WINDOW_MS - 1 }).ok).toBe(false);
  });

  it.each([
    ['a missing timestamp', { timestamp: undefined }],
    ['a timestamp in seconds-with-decimals', { timestamp: '1704067200.5' }],
    ['a missing signature', { signature: undefined }],
    ['a signature without the sha256= prefix', { signature: good.slice('sha256='.length) }],
    ['another secret', { secret: 'other' }],
    ['a changed body', { rawBody: '{"id":"evt_2"}' }],
  ])('refuses %s', (_name, over) => {
    expect(verify(over as Partial<Parameters<typeof verifySignature>[0]>).ok).toBe(false);
  });
});
