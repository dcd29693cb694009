import { timingSafeEqual } from 'node:crypto';
import express, { type ErrorRequestHandler, type RequestHandler, type Response, Router } from 'express';
import { injectFaults, lateCreates } from '../common/faults.ts';
import { IDEMPOTENCY_HEADER, type RazorpayXErrorBody, RazorpayXErrors } from './errors.ts';
import type { RazorpayXSimulator } from './simulator.ts';
import {
  IDEMPOTENCY_KEY_PATTERN,
  PAYOUT_STATUSES,
  parseCreateContact,
  parseCreateFundAccount,
  parseCreatePayout,
  parseUpdateContact,
} from './wire.ts';

function fail(res: Response, status: number, body: RazorpayXErrorBody): void {
  res.status(status).json(body);
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** HTTP Basic with `key_id:key_secret`, as RazorpayX authenticates every API call. */
function basicAuth(keyId: string, keySecret: string): RequestHandler {
  return (req, res, next) => {
    const [, encoded] = /^Basic\s+(\S+)$/i.exec(req.get('authorization') ?? '') ?? [];
    const decoded = encoded === undefined ? '' : Buffer.from(encoded, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const ok =
      colon > 0 && sameSecret(decoded.slice(0, colon), keyId) && sameSecret(decoded.slice(colon + 1), keySecret);
    if (!ok) return fail(res, 401, RazorpayXErrors.invalidKey());
    next();
  };
}

function queryString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Integer query parameter within bounds; `null` when present but invalid. */
function queryInt(value: unknown, fallback: number, min: number, max: number): number | null {
  if (value === undefined) return fallback;
  const s = queryString(value);
  if (s === undefined || !/^\d+$/.test(s)) return null;
  const n = Number(s);
  return n >= min && n <= max ? n : null;
}

/** RazorpayX's payout endpoints, mounted under `/razorpayx` (so `POST /razorpayx/v1/payouts`). */
export function razorpayxRouter(sim: RazorpayXSimulator): Router {
  const { runtime, credentials } = sim;
  const router = Router();
  // Parsed whatever the content type says: a client that forgets the header still gets validated.
  const json = express.json({ type: () => true, limit: '1mb' });

  router.use(
    injectFaults(runtime, {
      serviceUnavailable: RazorpayXErrors.serviceUnavailable,
      tooManyRequests: RazorpayXErrors.tooManyRequests,
      invalidCredentials: RazorpayXErrors.invalidKey,
    }),
  );
  router.use(basicAuth(credentials.keyId, credentials.keySecret));

  router.post('/v1/payouts', json, lateCreates(runtime), (req, res) => {
    const key = req.get(IDEMPOTENCY_HEADER);
    if (key === undefined || key === '') {
      return fail(
        res,
        400,
        RazorpayXErrors.validation(IDEMPOTENCY_HEADER, `The ${IDEMPOTENCY_HEADER} header is required.`),
      );
    }
    if (!IDEMPOTENCY_KEY_PATTERN.test(key)) {
      return fail(
        res,
        400,
        RazorpayXErrors.validation(
          IDEMPOTENCY_HEADER,
          `The ${IDEMPOTENCY_HEADER} header must be 4 to 36 characters of A-Z, a-z, 0-9, -, _ or space.`,
        ),
      );
    }
    const parsed = parseCreatePayout(req.body, credentials.accountNumber);
    if (!parsed.ok) return fail(res, 400, RazorpayXErrors.validation(parsed.field, parsed.description));

    const result = sim.create(parsed.value, key, req.body);
    switch (result.kind) {
      case 'idempotency_conflict':
        return fail(res, 400, RazorpayXErrors.idempotencyConflict());
      case 'insufficient_balance':
        return fail(res, 400, RazorpayXErrors.insufficientBalance());
      case 'replayed':
        res.json(result.payout);
        return;
      case 'created':
        // The payout exists and holds its money whether or not the client ever hears about it.
        if (runtime.chance(runtime.config.timeoutAfterCommitShare)) {
          runtime.hanging.hold(res, runtime.config.hangMs);
          return;
        }
        res.json(result.payout);
    }
  });

  // Contacts and fund accounts: created once, answered again when the same details are sent
  // (201 for a new one, 200 for the existing one).
  router.post('/v1/contacts', json, (req, res) => {
    const parsed = parseCreateContact(req.body);
    if (!parsed.ok) return fail(res, 400, RazorpayXErrors.contactValidation(parsed.field, parsed.description));
    const result = sim.createContact(parsed.value);
    res.status(result.kind === 'created' ? 201 : 200).json(result.record);
  });

  router.patch('/v1/contacts/:id', json, (req, res) => {
    const parsed = parseUpdateContact(req.body);
    if (!parsed.ok) return fail(res, 400, RazorpayXErrors.contactValidation(parsed.field, parsed.description));
    const updated = sim.updateContact(req.params.id, parsed.value);
    if (!updated) return fail(res, 400, RazorpayXErrors.contactValidation('id', 'The id provided does not exist'));
    res.json(updated);
  });

  router.get('/v1/contacts', (_req, res) => {
    const items = sim.listContacts();
    res.json({ entity: 'collection', count: items.length, items });
  });

  router.post('/v1/fund_accounts', json, (req, res) => {
    const parsed = parseCreateFundAccount(req.body);
    if (!parsed.ok) return fail(res, 400, RazorpayXErrors.contactValidation(parsed.field, parsed.description));
    const result = sim.createFundAccount(parsed.value);
    if (result.kind === 'unknown_contact') {
      return fail(res, 400, RazorpayXErrors.contactValidation('contact_id', 'The id provided does not exist'));
    }
    res.status(result.kind === 'created' ? 201 : 200).json(result.record);
  });

  router.get('/v1/fund_accounts', (req, res) => {
    const items = sim.listFundAccounts(queryString(req.query.contact_id));
    res.json({ entity: 'collection', count: items.length, items });
  });

  router.get('/v1/payouts', (req, res) => {
    const accountNumber = queryString(req.query.account_number);
    if (accountNumber === undefined) {
      return fail(res, 400, RazorpayXErrors.validation('account_number', 'The account number field is required.'));
    }
    if (accountNumber !== credentials.accountNumber) {
      return fail(res, 400, RazorpayXErrors.validation('account_number', 'The account number is invalid'));
    }
    // RazorpayX pages lists: 10 by default, at most 100.
    const count = queryInt(req.query.count, 10, 1, 100);
    if (count === null)
      return fail(res, 400, RazorpayXErrors.validation('count', 'The count must be between 1 and 100.'));
    const skip = queryInt(req.query.skip, 0, 0, Number.MAX_SAFE_INTEGER);
    if (skip === null) return fail(res, 400, RazorpayXErrors.validation('skip', 'The skip must be at least 0.'));
    const from = queryInt(req.query.from, -1, 0, Number.MAX_SAFE_INTEGER);
    if (from === null) return fail(res, 400, RazorpayXErrors.validation('from', 'The from must be a unix timestamp.'));
    const to = queryInt(req.query.to, -1, 0, Number.MAX_SAFE_INTEGER);
    if (to === null) return fail(res, 400, RazorpayXErrors.validation('to', 'The to must be a unix timestamp.'));
    const status = queryString(req.query.status);
    if (status !== undefined && !(PAYOUT_STATUSES as readonly string[]).includes(status)) {
      return fail(res, 400, RazorpayXErrors.validation('status', 'The selected status is invalid.'));
    }
    const items = sim.list({
      referenceId: queryString(req.query.reference_id),
      status,
      mode: queryString(req.query.mode),
      fundAccountId: queryString(req.query.fund_account_id),
      contactId: queryString(req.query.contact_id),
      from: from < 0 ? undefined : from,
      to: to < 0 ? undefined : to,
      skip,
      count,
    });
    res.json({ entity: 'collection', count: items.length, items });
  });

  /**
   * `GET /v1/banking_balances` (RazorpayX's "Fetch Balance", https://razorpay.com/docs/api/x/account-validation/balance-fetch):
   * the merchant's accounts and their balances in paise. The sandbox has one account, a current account.
   */
  router.get('/v1/banking_balances', (req, res) => {
    const accountType = queryString(req.query.account_type);
    if (accountType !== undefined && !['current_account', 'fixed_deposit', 'razorpayx_lite'].includes(accountType)) {
      return fail(res, 400, RazorpayXErrors.validation('account_type', 'The selected account type is invalid.'));
    }
    const items =
      accountType === undefined || accountType === 'current_account'
        ? [
            {
              entity: 'banking_balance',
              currency: 'INR',
              account_number: credentials.accountNumber,
              account_type: 'current_account',
              bank_name: 'RBL Bank',
              bank_code: 'RATN',
              amount: sim.balance,
              available_amount: sim.balance,
              refreshed_at: Math.floor(sim.runtime.now() / 1000),
            },
          ]
        : [];
    res.json({ entity: 'collection', count: items.length, items });
  });

  router.get('/v1/payouts/:id', (req, res) => {
    const payout = sim.get(req.params.id);
    if (!payout) return fail(res, 404, RazorpayXErrors.notFound());
    res.json(payout);
  });

  router.post('/v1/payouts/:id/cancel', (req, res) => {
    const result = sim.cancel(req.params.id);
    if (result.kind === 'not_found') return fail(res, 404, RazorpayXErrors.notFound());
    if (result.kind === 'not_queued') return fail(res, 400, RazorpayXErrors.onlyQueuedCancellable());
    res.json(result.payout);
  });

  router.use((_req, res) => fail(res, 404, RazorpayXErrors.routeNotFound()));

  const onError: ErrorRequestHandler = (error, _req, res, _next) => {
    // body-parser's errors carry a `type`; malformed JSON is the client's fault, never a 500.
    if (error?.type === 'entity.parse.failed') {
      return fail(res, 400, RazorpayXErrors.validation(null, 'The request body is not valid JSON.'));
    }
    if (typeof error?.status === 'number' && error.status >= 400 && error.status < 500) {
      return fail(res, error.status, RazorpayXErrors.validation(null, String(error.message)));
    }
    runtime.deps.logger.error({ err: error, provider: sim.id }, 'unhandled error in simulator');
    fail(res, 500, RazorpayXErrors.serverError());
  };
  router.use(onError);
  return router;
}
