import express, { type ErrorRequestHandler, type Request, type Response, Router } from 'express';
import { z } from 'zod';
import { providerConfigPatchSchema } from './config.ts';
import type { ProviderSimulator } from './provider.ts';

/*
 * The sandbox's own control surface, under `/_admin`: no auth, because it is a sandbox and tests,
 * demos and the chaos run must reach it without credentials. Errors are `{error: {code, message}}`.
 */

const balanceBody = z.strictObject({ amount: z.number().int().min(0) });
const statusBody = z.strictObject({ status: z.string().min(1) });
const driftBody = z
  .strictObject({
    amount: z.number().int().min(0).optional(),
    fees: z.number().int().min(0).optional(),
    tax: z.number().int().min(0).optional(),
    utr: z
      .string()
      .regex(/^[A-Za-z0-9]{1,35}$/, 'must be 1 to 35 letters or digits')
      .optional(),
    status: z.string().min(1).optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'name at least one of amount, fees, tax, utr, status');
const foreignBody = z.strictObject({
  payouts: z
    .array(
      z.strictObject({
        amount: z.number().int().min(1),
        reference_id: z.string().min(1).max(40).optional(),
        notes: z.record(z.string(), z.string()).optional(),
        status: z.string().min(1).optional(),
        fees: z.number().int().min(0).optional(),
        tax: z.number().int().min(0).optional(),
        utr: z
          .string()
          .regex(/^[A-Za-z0-9]{1,35}$/)
          .optional(),
        created_at: z.number().int().min(0).optional(),
      }),
    )
    .min(1)
    .max(500),
});
const downtimeBody = z.strictObject({
  id: z
    .string()
    .regex(/^[A-Za-z0-9_]{1,40}$/)
    .optional(),
  mode: z.string().min(1).max(20),
  status: z.enum(['started', 'resolved']),
  /** Unix seconds the downtime is expected to end (started only); absent: not known. */
  ends_at: z.number().int().positive().optional(),
});
const utrBody = z.strictObject({ utr: z.string().regex(/^[A-Za-z0-9]{1,35}$/, 'must be 1 to 35 letters or digits') });

function adminError(res: Response, httpStatus: number, code: string, message: string, extra: object = {}): void {
  res.status(httpStatus).json({ error: { code, message, ...extra } });
}

function invalid(res: Response, error: z.ZodError): void {
  const issues = error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
  adminError(res, 400, 'invalid_request', issues.map((i) => `${i.path || '(body)'}: ${i.message}`).join('; '), {
    issues,
  });
}

export function adminRouter(providers: ReadonlyMap<string, ProviderSimulator>, resetAll: () => void): Router {
  const router = Router();
  router.use(express.json({ type: () => true, limit: '100kb' }));

  const provider = (req: Request, res: Response): ProviderSimulator | undefined => {
    const found = providers.get(String(req.params.provider));
    if (!found) adminError(res, 404, 'unknown_provider', `No simulator for provider "${req.params.provider}".`);
    return found;
  };

  router.post('/reset', (_req, res) => {
    resetAll();
    res.json({ reset: true });
  });

  router.get('/:provider/config', (req, res) => {
    const sim = provider(req, res);
    if (sim) res.json(sim.runtime.config);
  });

  router.patch('/:provider/config', (req, res) => {
    const sim = provider(req, res);
    if (!sim) return;
    const parsed = providerConfigPatchSchema.safeParse(req.body ?? {});
    if (!parsed.success) return invalid(res, parsed.error);
    const { balance, ...rest } = parsed.data;
    sim.runtime.patchConfig(rest);
    if (balance !== undefined) sim.setBalance(balance);
    res.json(sim.runtime.config);
  });

  router.post('/:provider/balance', (req, res) => {
    const sim = provider(req, res);
    if (!sim) return;
    const parsed = balanceBody.safeParse(req.body);
    if (!parsed.success) return invalid(res, parsed.error);
    res.json(sim.setBalance(parsed.data.amount));
  });

  router.get('/:provider/payouts', (req, res) => {
    const sim = provider(req, res);
    if (!sim) return;
    const data = sim.listPayouts();
    res.json({ data, count: data.length });
  });

  /** Every webhook delivery attempt since the last reset, oldest first. */
  router.get('/:provider/webhooks', (req, res) => {
    const sim = provider(req, res);
    if (!sim) return;
    const data = sim.runtime.webhooks.list();
    res.json({ data, count: data.length });
  });

  router.post('/:provider/payouts/:id/status', (req, res) => {
    const sim = provider(req, res);
    if (!sim) return;
    const parsed = statusBody.safeParse(req.body);
    if (!parsed.success) return invalid(res, parsed.error);
    const result = sim.forceStatus(String(req.params.id), parsed.data.status);
    if (result.ok) res.json(result.payout);
    else adminError(res, result.httpStatus, result.code, result.message);
  });

  router.post('/:provider/payouts/:id/utr', (req, res) => {
    const sim = provider(req, res);
    if (!sim) return;
    if (!sim.updateUtr) {
      adminError(res, 404, 'not_supported', `The ${sim.id} simulator sends no news after a payout is processed.`);
      return;
    }
    const parsed = utrBody.safeParse(req.body);
    if (!parsed.success) return invalid(res, parsed.error);
    const result = sim.updateUtr(String(req.params.id), parsed.data.utr);
    if (result.ok) res.json(result.payout);
    else adminError(res, result.httpStatus, result.code, result.message);
  });

  /**
   * Requests the provider's API received since the last reset, by endpoint, and in all; the most
   * it received within any one second (`peak_per_second`), and how many its rate limit refused.
   */
  router.get('/:provider/requests', (req, res) => {
    const sim = provider(req, res);
    if (!sim) return;
    const byRoute = Object.fromEntries(sim.runtime.requests);
    res.json({
      total: Object.values(byRoute).reduce((a, b) => a + b, 0),
      by_route: byRoute,
      peak_per_second: sim.runtime.peakPerSecond,
      rate_limited: sim.runtime.rateLimited,
    });
  });

  router.post('/:provider/payouts/:id/drift', (req, res) => {
    const sim = provider(req, res);
    if (!sim) return;
    if (!sim.drift) return adminError(res, 404, 'not_supported', `The ${sim.id} simulator cannot drift payouts yet.`);
    const parsed = driftBody.safeParse(req.body);
    if (!parsed.success) return invalid(res, parsed.error);
    const result = sim.drift(String(req.params.id), parsed.data);
    if (result.ok) res.json(result.payout);
    else adminError(res, result.httpStatus, result.code, result.message);
  });

  router.post('/:provider/foreign-payouts', (req, res) => {
    const sim = provider(req, res);
    if (!sim) return;
    if (!sim.holdForeign) {
      return adminError(res, 404, 'not_supported', `The ${sim.id} simulator cannot hold foreign payouts yet.`);
    }
    const parsed = foreignBody.safeParse(req.body);
    if (!parsed.success) return invalid(res, parsed.error);
    const data = sim.holdForeign(parsed.data.payouts);
    res.status(201).json({ data, count: data.length });
  });

  /** A downtime announced by the provider (RazorpayX: a `payout.downtime.started|resolved` webhook). */
  router.post('/:provider/downtimes', (req, res) => {
    const sim = provider(req, res);
    if (!sim) return;
    if (!sim.announceDowntime) {
      adminError(res, 404, 'not_supported', `The ${sim.id} simulator announces no downtimes.`);
      return;
    }
    const parsed = downtimeBody.safeParse(req.body);
    if (!parsed.success) return invalid(res, parsed.error);
    const { id, mode, status, ends_at } = parsed.data;
    res.json(sim.announceDowntime({ id: id ?? `poutd_${mode}_${Date.now()}`, mode, status, endsAt: ends_at ?? null }));
  });

  router.use((_req, res) => adminError(res, 404, 'not_found', 'No such admin route.'));

  const onError: ErrorRequestHandler = (error, _req, res, _next) => {
    if (error?.type === 'entity.parse.failed')
      return adminError(res, 400, 'invalid_json', 'The body is not valid JSON.');
    const status = typeof error?.status === 'number' && error.status < 500 ? error.status : 500;
    adminError(res, status, status === 500 ? 'internal_error' : 'bad_request', String(error?.message ?? error));
  };
  router.use(onError);
  return router;
}
