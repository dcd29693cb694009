import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { isPrivateAddress, must, parseRetryAfter } from '@payouts/core';

/**
 * The one HTTP POST of a webhook delivery. Tenants choose the URL, so without a guard a tenant
 * could make the engine POST into its own network (the metrics ports, Redis' HTTP-speaking
 * neighbours, a cloud metadata service): server-side request forgery. Unless private targets are
 * allowed (local development, tests), every address a host name resolves to must be public, and
 * the connection goes to the address that was checked — not to a second resolution, which a
 * hostile DNS server could answer differently (DNS rebinding). The classifier is core's
 * `classifyAddress`, the one endpoint registration refuses with too.
 */
export class TargetRefused extends Error {
  override readonly name = 'TargetRefused';
}

export interface PostResult {
  status: number;
  /** The start of the body (at most `maxBody` characters). */
  body: string;
  /** A `Retry-After` the receiver sent (seconds or an HTTP date), in ms from now. */
  retryAfterMs: number | null;
}

export async function postWebhook(
  url: string,
  options: { headers: Record<string, string>; body: string; timeoutMs: number; allowPrivate: boolean; maxBody: number },
): Promise<PostResult> {
  const target = new URL(url);
  if (target.protocol !== 'https:' && target.protocol !== 'http:') {
    throw new TargetRefused(`unsupported scheme ${target.protocol}`);
  }
  const host = target.hostname.replace(/^\[|\]$/g, '');
  if (!options.allowPrivate && isIP(host) && isPrivateAddress(host)) {
    throw new TargetRefused(`target address ${host} is private`);
  }
  const lookup = (
    hostname: string,
    lookupOptions: object,
    callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ) => {
    dnsLookup(hostname, { ...lookupOptions, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = addresses as LookupAddress[];
      const refused = options.allowPrivate ? undefined : list.find((a) => isPrivateAddress(a.address));
      if (refused)
        return callback(new TargetRefused(`${hostname} resolves to private address ${refused.address}`), '', 0);
      // The checked addresses are the ones connected to.
      if ((lookupOptions as { all?: boolean }).all) return callback(null, list);
      const first = must(list[0], `an address for ${hostname}`);
      return callback(null, first.address, first.family);
    });
  };
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<PostResult>((resolve, reject) => {
    const req = send(
      target,
      {
        method: 'POST',
        headers: { ...options.headers, 'content-length': Buffer.byteLength(options.body) },
        lookup,
        timeout: options.timeoutMs,
      },
      (res: IncomingMessage) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (body.length < options.maxBody) body += chunk;
          else res.destroy(); // the rest is not read
        });
        const retryAfterMs = parseRetryAfter(res.headers['retry-after']);
        const done = () =>
          resolve({
            status: res.statusCode ?? 0,
            body: body.slice(0, options.maxBody).trim(),
            retryAfterMs,
          });
        res.on('end', done);
        res.on('close', done);
        res.on('error', done);
      },
    );
    // One deadline for the whole attempt, answer included.
    const timer = setTimeout(() => req.destroy(new TimeoutError(options.timeoutMs)), options.timeoutMs);
    req.on('close', () => clearTimeout(timer));
    req.on('timeout', () => req.destroy(new TimeoutError(options.timeoutMs)));
    req.on('error', reject);
    req.end(options.body);
  });
}

export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
  }
}
