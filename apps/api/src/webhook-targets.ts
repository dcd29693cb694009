import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { classifyAddress } from '@payouts/core';

/** Every address a host name resolves to (getaddrinfo, as delivery resolves it). */
export type LookupAll = (hostname: string) => Promise<{ address: string }[]>;

const lookupAll: LookupAll = (hostname) => lookup(hostname, { all: true });

/** How long registration waits for DNS: a slow resolver must not hold the request. */
export const TARGET_LOOKUP_TIMEOUT_MS = 2000;

/**
 * Why delivery would refuse to send to this URL's host, or null. Delivery (unless private targets
 * are allowed) refuses an address literal that is not public, and a host name any of whose
 * addresses is not public (apps/reconciler/src/webhooks/transport.ts); registration refuses the
 * same, with the same classifier, so that no endpoint is stored that can never be delivered to.
 *
 * A name that does not resolve (yet), or not within the timeout, is accepted: DNS may be set up
 * after the endpoint, and delivery checks every address again when it connects, so nothing private
 * is ever reached either way. Its deliveries fail and are retried like any unreachable endpoint's.
 */
export async function privateTargetReason(
  url: string,
  options: { lookup?: LookupAll; timeoutMs?: number } = {},
): Promise<string | null> {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) {
    const kind = classifyAddress(host);
    return kind === 'public' ? null : `is a ${kind} address (${host})`;
  }
  const addresses = await resolveWithin(
    options.lookup ?? lookupAll,
    host,
    options.timeoutMs ?? TARGET_LOOKUP_TIMEOUT_MS,
  );
  for (const { address } of addresses ?? []) {
    const kind = classifyAddress(address);
    if (kind !== 'public') return `resolves to a ${kind} address (${host} → ${address})`;
  }
  return null;
}

/** The addresses, or null when the name does not resolve within `ms`. */
async function resolveWithin(resolve: LookupAll, host: string, ms: number): Promise<{ address: string }[] | null> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      resolve(host).catch(() => null),
      new Promise<null>((done) => (timer = setTimeout(done, ms, null))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
