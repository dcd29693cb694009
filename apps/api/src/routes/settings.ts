import { tenants } from '@payouts/db';
import { eq } from 'drizzle-orm';
import { Router } from 'express';
import { type Authenticator, requireTenant } from '../auth.ts';
import type { ApiDeps } from '../deps.ts';
import { problems } from '../problem.ts';
import { tenantSettingsSchema, updateTenantSettingsSchema } from '../schemas.ts';
import { parseBody } from '../validation.ts';

type TenantRow = typeof tenants.$inferSelect;

/**
 * The tenant's own settings (docs/api.md, "Settings"): how the API treats its requests. A tenant
 * route, as a payout product's dashboard settings are: the tenant decides whether its references
 * are unique, not the platform's operators.
 */
export function settingsRoutes(deps: ApiDeps, auth?: Pick<Authenticator, 'forget'>): Router {
  const router = Router();

  router.get('/settings', async (req, res) => {
    const { tenantId } = requireTenant(req, 'GET /v1/settings');
    const [row] = await deps.db.select().from(tenants).where(eq(tenants.id, tenantId));
    if (!row) throw problems.notFound('The tenant');
    res.json(settingsResource(row));
  });

  /** Changes only the settings sent; the answer is every setting as it now is. */
  router.patch('/settings', async (req, res) => {
    const { tenantId } = requireTenant(req, 'PATCH /v1/settings');
    const body = parseBody(updateTenantSettingsSchema, req);
    const changes: Partial<TenantRow> = {};
    if (body.duplicate_reference_guard !== undefined) changes.duplicateReferenceGuard = body.duplicate_reference_guard;
    if (body.beneficiary_cooling_off_hours !== undefined) {
      changes.beneficiaryCoolingOffHours = body.beneficiary_cooling_off_hours;
    }
    if (body.payout_purposes !== undefined) changes.payoutPurposes = body.payout_purposes;
    if (body.rail_fallback !== undefined) changes.railFallback = body.rail_fallback;
    const [row] =
      Object.keys(changes).length === 0
        ? await deps.db.select().from(tenants).where(eq(tenants.id, tenantId))
        : await deps.db.update(tenants).set(changes).where(eq(tenants.id, tenantId)).returning();
    if (!row) throw problems.notFound('The tenant');
    // The guard's value is cached with the tenant's keys: this instance applies it at once, the
    // others within the key cache's 10 s.
    auth?.forget({ tenantId });
    res.json(settingsResource(row));
  });

  return router;
}

function settingsResource(row: TenantRow) {
  return tenantSettingsSchema.parse({
    object: 'settings',
    duplicate_reference_guard: row.duplicateReferenceGuard,
    beneficiary_cooling_off_hours: row.beneficiaryCoolingOffHours,
    payout_purposes: row.payoutPurposes,
    rail_fallback: row.railFallback,
  });
}
