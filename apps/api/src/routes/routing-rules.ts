import { type RoutingRules, tenants } from '@payouts/db';
import { eq } from 'drizzle-orm';
import { Router } from 'express';
import { type Authenticator, requireTenant } from '../auth.ts';
import type { ApiDeps } from '../deps.ts';
import { problems } from '../problem.ts';
import { routingRuleIssues, routingRulesSchema } from '../routing-schemas.ts';
import { parseBody } from '../validation.ts';

/**
 * Routing rules (docs/api.md, "Routing rules"): per tenant, the ordered providers for payouts that
 * name none, and the confirmed failures after which a payout may go to the next one.
 */
export function routingRuleRoutes(deps: ApiDeps, auth?: Pick<Authenticator, 'forget'>): Router {
  const router = Router();

  router.get('/routing-rules', async (req, res) => {
    const { tenantId } = requireTenant(req, 'GET /v1/routing-rules');
    const [row] = await deps.db.select().from(tenants).where(eq(tenants.id, tenantId));
    if (!row) throw problems.notFound('The tenant');
    res.json(rulesResource(row.routingRules));
  });

  /** Replaces the rules; `{"rules": []}` goes back to each currency's configured provider. */
  router.put('/routing-rules', async (req, res) => {
    const { tenantId } = requireTenant(req, 'PUT /v1/routing-rules');
    const rules: RoutingRules = parseBody(routingRulesSchema, req);
    const issues = routingRuleIssues(deps, rules);
    if (issues.length > 0) throw problems.invalid(issues);
    const [row] = await deps.db
      .update(tenants)
      .set({ routingRules: rules.rules.length > 0 ? rules : null })
      .where(eq(tenants.id, tenantId))
      .returning();
    if (!row) throw problems.notFound('The tenant');
    // Cached with the tenant's keys: this instance applies them at once, the others within 10 s.
    auth?.forget({ tenantId });
    res.json(rulesResource(row.routingRules));
  });

  return router;
}

function rulesResource(rules: RoutingRules | null) {
  return { object: 'routing_rules' as const, rules: rules?.rules ?? [] };
}
