import express, { type ErrorRequestHandler, type Response, Router } from 'express';
import { injectFaults, lateCreates } from '../common/faults.ts';
import { hmacAuth, rawBodyOf } from './auth.ts';
import { type ThaiGatewayErrorBody, ThaiGatewayErrors } from './errors.ts';
import type { ThaiGatewaySimulator } from './simulator.ts';
import { parseCreateWithdraw } from './wire.ts';

function fail(res: Response, status: number, body: ThaiGatewayErrorBody): void {
  res.status(status).json(body);
}

/** The raw body as JSON; `undefined` when it is not JSON (never throws). */
function parseJson(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * The gateway's withdraw endpoints, mounted under `/thai-gateway` (so
 * `POST /thai-gateway/api/v1/withdraws`). Statuses: 201 create, 400 validation, 401 credentials,
 * 404 unknown withdraw, 409 duplicate reference and 422 insufficient balance (the last two assumed).
 */
export function thaiGatewayRouter(sim: ThaiGatewaySimulator): Router {
  const { runtime, credentials } = sim;
  const router = Router();

  router.use(
    injectFaults(runtime, {
      serviceUnavailable: ThaiGatewayErrors.serviceUnavailable,
      tooManyRequests: ThaiGatewayErrors.tooManyRequests,
      invalidCredentials: () => ThaiGatewayErrors.invalidCredentials('The API key is not valid'),
    }),
  );
  // Raw bytes, whatever the content type says: the signature covers exactly what was sent.
  router.use(express.raw({ type: () => true, limit: '1mb' }));
  router.use(hmacAuth(credentials, () => runtime.now()));

  router.post('/api/v1/withdraws', lateCreates(runtime), (req, res) => {
    const body = parseJson(rawBodyOf(req));
    if (body === undefined) {
      return fail(res, 400, ThaiGatewayErrors.validation('VALIDATION_ERROR', null, 'Request body must be valid JSON'));
    }
    const parsed = parseCreateWithdraw(body, credentials.amountUnit);
    if (!parsed.ok) return fail(res, 400, ThaiGatewayErrors.validation(parsed.code, parsed.field, parsed.message));

    const result = sim.create(parsed.value, parsed.satang);
    switch (result.kind) {
      case 'duplicate_reference':
        return fail(res, 409, ThaiGatewayErrors.duplicateReference());
      case 'insufficient_balance':
        return fail(res, 422, ThaiGatewayErrors.insufficientBalance());
      case 'replayed':
        res.status(201).json({ success: true, data: result.withdraw });
        return;
      case 'created':
        // The withdraw exists and holds its money whether or not the client ever hears about it.
        if (runtime.chance(runtime.config.timeoutAfterCommitShare)) {
          runtime.hanging.hold(res, runtime.config.hangMs);
          return;
        }
        res.status(201).json({ success: true, data: result.withdraw });
    }
  });

  router.get('/api/v1/withdraws', (req, res) => {
    const referenceId = req.query.referenceId;
    if (referenceId !== undefined && typeof referenceId !== 'string') {
      return fail(
        res,
        400,
        ThaiGatewayErrors.validation('VALIDATION_ERROR', 'referenceId', 'referenceId must be one string'),
      );
    }
    res.json({ success: true, data: sim.list({ referenceId }) });
  });

  router.get('/api/v1/withdraws/:id', (req, res) => {
    const withdraw = sim.get(req.params.id);
    if (!withdraw) return fail(res, 404, ThaiGatewayErrors.notFound());
    res.json({ success: true, data: withdraw });
  });

  router.use((_req, res) => fail(res, 404, ThaiGatewayErrors.routeNotFound()));

  const onError: ErrorRequestHandler = (error, _req, res, _next) => {
    // body-parser's errors (too large, bad encoding) are the client's fault, never a 500.
    if (typeof error?.status === 'number' && error.status >= 400 && error.status < 500) {
      return fail(res, error.status, ThaiGatewayErrors.validation('VALIDATION_ERROR', null, String(error.message)));
    }
    runtime.deps.logger.error({ err: error, provider: sim.id }, 'unhandled error in simulator');
    fail(res, 500, ThaiGatewayErrors.serverError());
  };
  router.use(onError);
  return router;
}
