import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { isId } from '@payouts/core';
import { payouts } from '@payouts/db';
import type { PayoutRow } from '@payouts/payouts';
import type { ProviderReport } from '@payouts/queue';
import { eq } from 'drizzle-orm';
import { Router } from 'express';
import { requireOperator } from '../auth.ts';
import type { ApiDeps } from '../deps.ts';
import { recordOperatorAction } from '../operator-log.ts';
import { problems } from '../problem.ts';
import { askProvider, reportOf } from '../provider-lookup.ts';
import { payoutSchema, z } from '../schemas.ts';
import { payoutResource } from '../serialize.ts';
import { expectNoBody, parseBody } from '../validation.ts';
import type { OperatorPathHelpers } from './operations.ts';

/**
 * Resolving a payout in `needs_attention` (its provider's deadline passed without a final answer).
 * The engine asks the provider first and applies what it says; only when the provider cannot tell
 * (it has no record of the payout, or cannot be asked) may an operator say `processed` or `failed`,
 * with evidence (a UTR, a bank statement line). Either way the change goes through the reconciler,
 * which moves the ledger (the hold is settled or released), and the operator log records it.
 */

const evidenceSchema = z
  .strictObject({
    utr: z
      .string()
      .regex(/^[A-Za-z0-9]{1,35}$/, 'must be 1 to 35 letters or digits')
      .optional()
      .openapi({ description: "The bank's UTR of the transfer (a processed payout's proof)." }),
    statement_line: z
      .string()
      .trim()
      .min(1)
      .max(500)
      .optional()
      .openapi({ description: 'The line of the bank or provider statement that shows the outcome.' }),
  })
  .refine((e) => e.utr !== undefined || e.statement_line !== undefined, 'name a utr or a statement_line');

export const resolveBody = z
  .strictObject({
    status: z.enum(['processed', 'failed']).optional().openapi({
      description:
        "The outcome the operator asserts. Taken only when the provider cannot tell; without it the provider's answer is applied.",
    }),
    evidence: evidenceSchema.optional(),
    note: z.string().trim().min(1).max(500).optional(),
  })
  .superRefine((body, ctx) => {
    if (body.status && !body.evidence) {
      ctx.addIssue({ code: 'custom', path: ['evidence'], message: 'an operator outcome needs evidence' });
    }
    if (body.evidence && !body.status) {
      ctx.addIssue({ code: 'custom', path: ['status'], message: 'evidence goes with the outcome it proves' });
    }
  })
  .openapi('ResolveRequest');
type ResolveBody = z.infer<typeof resolveBody>;

/** Outcomes the provider will not take back by itself (`processed` may yet be reversed, which a report also handles). */
const SETTLED = new Set(['processed', 'failed', 'rejected', 'cancelled', 'reversed']);

export function resolutionRoutes(deps: ApiDeps): Router {
  const router = Router();

  router.post('/payouts/:id/resolve', async (req, res) => {
    const operator = requireOperator(req);
    let body: ResolveBody = {};
    if (req.is('application/json')) body = parseBody(resolveBody, req);
    else expectNoBody(req);
    const row = await findPayout(deps, req.params.id);
    if (row.status !== 'needs_attention') {
      throw problems.conflict(
        'payout_not_resolvable',
        `The payout is ${row.status}: only a payout in needs_attention is resolved this way.`,
      );
    }
    const asked = await askProvider(deps, row);
    let report: ProviderReport;
    let resolvedBy: 'provider' | 'operator';
    if (asked.kind === 'answer') {
      if (!SETTLED.has(asked.state.outcome)) {
        throw problems.conflict(
          'provider_still_processing',
          `${row.provider} still has the payout as ${asked.state.rawStatus}: it is not final there, so it is not resolved here. Ask ${row.provider} to settle it, then resolve again.`,
        );
      }
      report = reportOf(row.id, asked.state, null);
      resolvedBy = 'provider';
    } else {
      if (!body.status || !body.evidence) {
        throw problems.conflict(
          'provider_cannot_tell',
          `${row.provider} cannot tell (${asked.why}). Send the outcome with evidence: {"status": "processed" | "failed", "evidence": {"utr" | "statement_line"}}.`,
        );
      }
      const resolution = {
        actor: operator.keyId,
        evidence: body.evidence,
        ...(body.note ? { note: body.note } : {}),
        provider: asked.why,
      };
      report = reportOf(
        row.id,
        {
          providerPayoutId: row.providerPayoutId ?? '',
          outcome: body.status,
          rawStatus: 'operator_resolved',
          utr: body.status === 'processed' ? (body.evidence.utr ?? null) : null,
          failure:
            body.status === 'failed'
              ? {
                  code: 'operator_resolved',
                  message: body.evidence.statement_line ?? body.note ?? 'failed, on the evidence of an operator',
                }
              : null,
        },
        resolution,
      );
      resolvedBy = 'operator';
    }
    const reply = await deps.reconciler.call('payout.report', report);
    const current = await findPayout(deps, row.id);
    const applied = current.status === report.outcome;
    await recordOperatorAction(deps.db, {
      actor: operator.keyId,
      action: 'payout.resolve',
      target: row.id,
      params: body,
      result: {
        resolved_by: resolvedBy,
        asked: asked.kind === 'answer' ? asked.state.rawStatus : asked.why,
        status: current.status,
      },
    });
    if (!applied && reply.state !== 'pending') {
      throw problems.conflict(
        'resolution_refused',
        `The payout is ${current.status} now: it moved while being resolved, and the ${report.outcome} outcome was not applied.`,
      );
    }
    res.status(applied ? 200 : 202).json({
      resolved_by: resolvedBy,
      provider_status: asked.kind === 'answer' ? asked.state.rawStatus : null,
      pending: !applied,
      payout: payoutResource(current),
    });
  });

  return router;
}

async function findPayout(deps: ApiDeps, id: string): Promise<PayoutRow> {
  if (!isId(id, 'payout')) throw problems.notFound('The payout');
  const [row] = await deps.db.select().from(payouts).where(eq(payouts.id, id));
  if (!row) throw problems.notFound('The payout');
  return row;
}

/** The OpenAPI entries of these routes. */
export function registerResolutionPaths(registry: OpenAPIRegistry, h: OperatorPathHelpers): void {
  const { security } = h;
  registry.registerPath({
    method: 'post',
    path: '/v1/admin/payouts/{id}/resolve',
    summary:
      "Resolve a payout in needs_attention (operator; recorded): the provider's answer is applied; only when the provider cannot tell, the operator's outcome with evidence",
    security,
    request: {
      params: z.object({ id: z.string().openapi({ example: 'po_01JDA8Z6B9Y4X3W2V1T0S9R8Q7' }) }),
      body: { required: false, content: { 'application/json': { schema: resolveBody } } },
    },
    responses: h.keyed('operator', 'post', {
      200: h.json(
        z.object({
          resolved_by: z.enum(['provider', 'operator']),
          provider_status: z.string().nullable(),
          pending: z.boolean(),
          payout: payoutSchema,
        }),
        'Resolved: the payout is final, the ledger moved with it',
      ),
      202: h.json(
        z.object({
          resolved_by: z.enum(['provider', 'operator']),
          provider_status: z.string().nullable(),
          pending: z.boolean(),
          payout: payoutSchema,
        }),
        'Handed to the reconciler, not applied within the wait (`pending: true`); read the payout again',
      ),
      404: undefined,
      422: 'An outcome without evidence, evidence without an outcome, or evidence naming neither a utr nor a statement_line (`validation_failed`)',
      409: 'Not in needs_attention (`payout_not_resolvable`), moved meanwhile (`resolution_refused`), the provider has it and it is not final there (`provider_still_processing`), or the provider cannot tell and no outcome with evidence was sent (`provider_cannot_tell`)',
      503: 'The provider could not be asked (`service_unavailable`: it is down, or a 429 holds its rate budget past 10 s; nothing sent); try again',
    }),
  });
}
