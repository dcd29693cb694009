import { timingSafeEqual } from 'node:crypto';
import express, { type ErrorRequestHandler, type RequestHandler, type Response, Router } from 'express';
import { injectFaults, lateCreates } from '../common/faults.ts';
import { type KrayonErrorBody, KrayonErrors } from './errors.ts';
import type { KrayonSimulator } from './simulator.ts';
import { parseCreateWithdrawal } from './wire.ts';

function fail(res: Response, status: number, body: KrayonErrorBody): void {
  res.status(status).json(body);
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** `Authorization: Bearer <api token>`, as the page's examples send it. */
function bearerAuth(apiToken: string): RequestHandler {
  return (req, res, next) => {
    const [, token] = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '') ?? [];
    if (token === undefined || !sameSecret(token, apiToken)) return fail(res, 401, KrayonErrors.unauthorized());
    next();
  };
}

/** The page's path; a withdrawal is a deposit with `type: WITHDRAWAL`. */
const DEPOSITS = '/main/api/v1/deposits';

/** Krayon's deposit endpoints, mounted under `/krayon` (so `POST /krayon/main/api/v1/deposits`). */
export function krayonRouter(sim: KrayonSimulator): Router {
  const { runtime, credentials } = sim;
  const router = Router();
  // Parsed whatever the content type says: a client that forgets the header still gets validated.
  const json = express.json({ type: () => true, limit: '1mb' });

  router.use(
    injectFaults(runtime, {
      serviceUnavailable: KrayonErrors.serviceUnavailable,
      tooManyRequests: KrayonErrors.tooManyRequests,
      invalidCredentials: KrayonErrors.unauthorized,
    }),
  );
  router.use(bearerAuth(credentials.apiToken));

  router.post(DEPOSITS, json, lateCreates(runtime), (req, res) => {
    const parsed = parseCreateWithdrawal(req.body);
    if (!parsed.ok) return fail(res, 400, KrayonErrors.validation(parsed.field, parsed.message));

    const result = sim.create(parsed.value);
    switch (result.kind) {
      case 'duplicate_reference':
        return fail(res, 409, KrayonErrors.duplicateReference(parsed.value.request.reference_id));
      case 'insufficient_balance':
        return fail(res, 400, KrayonErrors.insufficientBalance());
      case 'created':
        // The withdrawal exists and holds its money whether or not the client ever hears about it.
        if (runtime.chance(runtime.config.timeoutAfterCommitShare)) {
          runtime.hanging.hold(res, runtime.config.hangMs);
          return;
        }
        res.json({ data: result.deposit });
    }
  });

  router.get(DEPOSITS, (req, res) => {
    const reference = req.query.reference_id;
    if (reference !== undefined && typeof reference !== 'string') {
      return fail(res, 400, KrayonErrors.validation('reference_id', 'reference_id must be given once'));
    }
    res.json({ data: sim.list({ referenceId: reference }) });
  });

  router.get(`${DEPOSITS}/:id`, (req, res) => {
    const deposit = sim.get(req.params.id);
    if (!deposit) return fail(res, 404, KrayonErrors.notFound());
    res.json({ data: deposit });
  });

  router.use((_req, res) => fail(res, 404, KrayonErrors.routeNotFound()));

  const onError: ErrorRequestHandler = (error, _req, res, _next) => {
    // body-parser's errors carry a `type`; malformed JSON is the client's fault, never a 500.
    if (error?.type === 'entity.parse.failed') {
      return fail(res, 400, KrayonErrors.validation(null, 'The request body is not valid JSON.'));
    }
    if (typeof error?.status === 'number' && error.status >= 400 && error.status < 500) {
      return fail(res, error.status, KrayonErrors.validation(null, String(error.message)));
    }
    runtime.deps.logger.error({ err: error, provider: sim.id }, 'unhandled error in simulator');
    fail(res, 500, KrayonErrors.serverError());
  };
  router.use(onError);
  return router;
}
