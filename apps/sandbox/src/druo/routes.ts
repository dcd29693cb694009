import { timingSafeEqual } from 'node:crypto';
import express, { type ErrorRequestHandler, type RequestHandler, type Response, Router } from 'express';
import { injectFaults, lateCreates } from '../common/faults.ts';
import { type DruoErrorBody, DruoErrors } from './errors.ts';
import type { DruoSimulator } from './simulator.ts';
import { DRUO_VERSION, DRUO_VERSION_HEADER, parseCreatePayout } from './wire.ts';

function fail(res: Response, status: number, body: DruoErrorBody): void {
  res.status(status).json(body);
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * `Authorization: Bearer <access token>` and `DRUO-Version: 2021-11-22` on every call, as the
 * page's curl example sends them. Either missing or wrong is a 401 (assumed: the page shows no
 * error answers).
 */
function authenticate(accessToken: string): RequestHandler {
  return (req, res, next) => {
    const [, token] = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '') ?? [];
    if (token === undefined || !sameSecret(token, accessToken)) return fail(res, 401, DruoErrors.invalidToken());
    if (req.get(DRUO_VERSION_HEADER) !== DRUO_VERSION) return fail(res, 401, DruoErrors.invalidVersion());
    next();
  };
}

function queryString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** DRUO's payout endpoints, mounted under `/druo` (so `POST /druo/payouts/create`). */
export function druoRouter(sim: DruoSimulator): Router {
  const { runtime, credentials } = sim;
  const router = Router();
  // Parsed whatever the content type says: a client that forgets the header still gets validated.
  const json = express.json({ type: () => true, limit: '1mb' });

  router.use(
    injectFaults(runtime, {
      serviceUnavailable: DruoErrors.serviceUnavailable,
      tooManyRequests: DruoErrors.tooManyRequests,
      invalidCredentials: DruoErrors.invalidToken,
    }),
  );
  router.use(authenticate(credentials.accessToken));

  router.post('/payouts/create', json, lateCreates(runtime), (req, res) => {
    const parsed = parseCreatePayout(req.body, credentials.tenantId);
    if (!parsed.ok) return fail(res, 400, DruoErrors.validation(parsed.field, parsed.message));

    // No idempotency: every create is a new transaction, a declined one included.
    const payout = sim.create(parsed.value);
    // The transaction exists (and holds its money) whether or not the client ever hears about it.
    if (runtime.chance(runtime.config.timeoutAfterCommitShare)) {
      runtime.hanging.hold(res, runtime.config.hangMs);
      return;
    }
    res.json({ payout });
  });

  /** Assumed: `GET /payouts?primary_reference=…` (or `secondary_reference`), newest first, unpaged. */
  router.get('/payouts', (req, res) => {
    const payouts = sim.list({
      primaryReference: queryString(req.query.primary_reference),
      secondaryReference: queryString(req.query.secondary_reference),
    });
    res.json({ payouts });
  });

  /** Assumed: `GET /payouts/:uuid`. */
  router.get('/payouts/:uuid', (req, res) => {
    const payout = sim.get(req.params.uuid);
    if (!payout) return fail(res, 404, DruoErrors.notFound());
    res.json({ payout });
  });

  router.use((_req, res) => fail(res, 404, DruoErrors.routeNotFound()));

  const onError: ErrorRequestHandler = (error, _req, res, _next) => {
    // body-parser's errors carry a `type`; malformed JSON is the client's fault, never a 500.
    if (error?.type === 'entity.parse.failed') {
      return fail(res, 400, DruoErrors.validation(null, 'The request body is not valid JSON'));
    }
    if (typeof error?.status === 'number' && error.status >= 400 && error.status < 500) {
      return fail(res, error.status, DruoErrors.validation(null, String(error.message)));
    }
    runtime.deps.logger.error({ err: error, provider: sim.id }, 'unhandled error in simulator');
    fail(res, 500, DruoErrors.serverError());
  };
  router.use(onError);
  return router;
}
