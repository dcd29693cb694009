import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { type ChainsReport, verifyAuditChains } from '@payouts/db';
import { Router } from 'express';
import { requireOperator } from '../auth.ts';
import type { ApiDeps } from '../deps.ts';
import { problemSchema, z } from '../schemas.ts';
import type { OperatorPathHelpers } from './operations.ts';

/**
 * The audit chains of the payout history and the operator log, recomputed (docs/operations.md,
 * "Audit chains"). Like the ledger check, a broken chain answers 500 with the report: a finding
 * about the data, which the caller reads, not an outage.
 */
export function auditRoutes(deps: ApiDeps): Router {
  const router = Router();
  router.get('/audit/verify', async (req, res) => {
    requireOperator(req);
    const report = await verifyAuditChains(deps.db);
    res.status(report.ok ? 200 : 500).json({
      ok: report.ok,
      payout_events: chainsResource(report.payoutEvents),
      operator_actions: chainsResource(report.operatorActions),
    });
  });
  return router;
}

function chainsResource(r: ChainsReport) {
  return { rows: r.rows, chains: r.chains, legacy_rows: r.legacyRows, broken_chains: r.brokenChains, broken: r.broken };
}

const chainsSchema = z.object({
  rows: z.number().int().openapi({ description: 'Hashed rows checked' }),
  chains: z.number().int(),
  legacy_rows: z.number().int().openapi({ description: 'Rows written before the chains existed: not checked' }),
  broken_chains: z.number().int(),
  broken: z
    .array(
      z.object({
        chain: z.string().openapi({ description: 'The payout id, or `operator_actions`' }),
        row: z
          .string()
          .nullable()
          .openapi({ description: 'The first broken row (`payout_events.id` or the action id)' }),
        reason: z.enum(['hash_mismatch', 'link_broken', 'hash_missing', 'head_mismatch']),
        expected: z.string().nullable(),
        found: z.string().nullable(),
      }),
    )
    .openapi({ description: 'The first broken link of each broken chain (at most 100)' }),
});

export function registerAuditPaths(registry: OpenAPIRegistry, h: OperatorPathHelpers): void {
  const report = z
    .object({ ok: z.boolean(), payout_events: chainsSchema, operator_actions: chainsSchema })
    .openapi('AuditReport');
  registry.registerPath({
    method: 'get',
    path: '/v1/admin/audit/verify',
    summary: 'Recompute the hash chains of the payout history and the operator log (operator)',
    security: h.security,
    responses: h.keyed('operator', 'get', {
      200: h.json(report, 'Every chain verifies'),
      500: {
        description:
          'A chain is broken: the first broken link of each, expected vs found (or, as problem+json, a failure of our own)',
        content: {
          'application/json': { schema: report },
          'application/problem+json': { schema: problemSchema },
        },
      },
    }),
  });
}
