import { jsonAmount } from '@payouts/core';
import { walletBalances } from '@payouts/ledger';
import { Router } from 'express';
import { requireTenant } from '../auth.ts';
import type { ApiDeps } from '../deps.ts';

export function balanceRoutes(deps: ApiDeps): Router {
  const router = Router();
  router.get('/balances', async (req, res) => {
    const { tenantId } = requireTenant(req, 'GET /v1/balances');
    const rows = await walletBalances(deps.db, tenantId);
    res.json({
      data: rows.map((b) => ({
        currency: b.currency,
        available: jsonAmount(b.available),
        held: jsonAmount(b.held),
      })),
    });
  });
  return router;
}
