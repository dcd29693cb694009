import { setTimeout as sleep } from 'node:timers/promises';
import type { RequestHandler } from 'express';
import type { ProviderRuntime } from './runtime.ts';

/** Each provider answers injected faults in its own error format. */
export interface FaultBodies {
  serviceUnavailable(): unknown;
  tooManyRequests(): unknown;
  /** What the provider answers (401) to a key it no longer accepts. */
  invalidCredentials(): unknown;
}

/**
 * Mounted on a provider's create route, after its body is read (`lateCreateShare`): the create is
 * held for `hangMs` before the route decides anything, then goes on whether or not the client is
 * still there — as a provider working through a backlog does. An answer written to a client that
 * has gone is dropped.
 */
export function lateCreates(runtime: ProviderRuntime): RequestHandler {
  return async (_req, _res, next) => {
    if (runtime.chance(runtime.config.lateCreateShare)) await sleep(runtime.config.hangMs);
    next();
  };
}

/**
 * Mounted first on a provider's routes: counts the request, then the provider's rate limit
 * (`rateLimitPerSecond`), then latency, then 503, then 429, all before authentication
 * or parsing, because a real outage or rate limiter answers before the API itself sees anything.
 * Then revoked credentials (`credentialsRevoked`: the keys the engine holds were rotated at the
 * provider): every call is a 401 in the provider's own format, whatever key it carries, until
 * the knob is turned off again (the operator deployed the new keys).
 */
export function injectFaults(runtime: ProviderRuntime, bodies: FaultBodies): RequestHandler {
  return async (req, res, next) => {
    if (!runtime.admitByRate(runtime.countRequest(req.method, req.path))) {
      res.status(429).set('Retry-After', '1').json(bodies.tooManyRequests());
      return;
    }
    const { latencyMs, http5xxShare, http429Share, retryAfterSeconds, credentialsRevoked } = runtime.config;
    if (latencyMs > 0) await sleep(latencyMs);
    if (runtime.chance(http5xxShare)) {
      res.status(503).json(bodies.serviceUnavailable());
      return;
    }
    if (runtime.chance(http429Share)) {
      res.status(429).set('Retry-After', String(retryAfterSeconds)).json(bodies.tooManyRequests());
      return;
    }
    if (credentialsRevoked) {
      res.status(401).json(bodies.invalidCredentials());
      return;
    }
    next();
  };
}
