/**
 * What a tenant API key may do. `admin` is everything a tenant key could do before roles existed,
 * plus the tenant's policies, and is the default, so keys issued without a role keep working.
 * Which routes each role may use is decided in one table, in the API (apps/api/src/roles.ts).
 */
export const TENANT_KEY_ROLES = ['admin', 'maker', 'approver', 'viewer'] as const;
export type TenantKeyRole = (typeof TENANT_KEY_ROLES)[number];
