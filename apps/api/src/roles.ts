import type { TenantKeyRole } from '@payouts/core';

const ALL: readonly TenantKeyRole[] = ['admin', 'maker', 'approver', 'viewer'];
const MAKERS: readonly TenantKeyRole[] = ['admin', 'maker'];
const ADMINS: readonly TenantKeyRole[] = ['admin'];
const APPROVERS: readonly TenantKeyRole[] = ['admin', 'approver'];

/**
 * The one place that says which tenant key roles may use which route. Every tenant route names
 * its entry when it authenticates (`requireTenant(req, 'POST /v1/payouts')`), so a route cannot
 * be reached without one, and the security tests check each route against each role.
 *
 * - `admin`: everything, including the tenant's configuration (webhook endpoints, their secrets);
 * - `maker`: creates payouts and batches (and cancels them), keeps saved beneficiaries, and reads;
 * - `approver`: reads (and decides on payouts waiting for approval);
 * - `viewer`: reads only.
 */
export const TENANT_ROUTE_ROLES = {
  'POST /v1/payouts': MAKERS,
  'GET /v1/payouts': ALL,
  'GET /v1/payouts/export.csv': ALL,
  'GET /v1/payouts/:id': ALL,
  'GET /v1/payouts/:id/events': ALL,
  'POST /v1/payouts/:id/cancel': MAKERS,
  'POST /v1/payout-batches': MAKERS,
  'GET /v1/payout-batches/:id': ALL,
  'GET /v1/payout-batches/:id/payouts': ALL,
  'GET /v1/payout-batches/:id/results.csv': ALL,
  'GET /v1/balances': ALL,
  // Approvals (maker-checker): the policy is the tenant's configuration; a decision is an
  // approver's (or an admin's), never the maker's own (403 approver_is_maker, routes/approvals.ts).
  'GET /v1/approval-policy': ADMINS,
  'PUT /v1/approval-policy': ADMINS,
  // Routing rules choose where the tenant's money goes: configuration, like the policy.
  'GET /v1/routing-rules': ADMINS,
  'PUT /v1/routing-rules': ADMINS,
  'GET /v1/approvals': ALL,
  'POST /v1/payouts/:id/approve': APPROVERS,
  'POST /v1/payouts/:id/reject': APPROVERS,
  'POST /v1/payout-batches/:id/approve': APPROVERS,
  'POST /v1/payout-batches/:id/reject': APPROVERS,
  // Saved beneficiaries are kept by those who pay them, and read by everyone who reads payouts.
  'POST /v1/beneficiaries': MAKERS,
  'GET /v1/beneficiaries': ALL,
  'GET /v1/beneficiaries/:id': ALL,
  'GET /v1/beneficiaries/:id/versions': ALL,
  'PATCH /v1/beneficiaries/:id': MAKERS,
  'DELETE /v1/beneficiaries/:id': MAKERS,
  // The duplicate-reference guard is the tenant's policy: readable by all, changed by an admin.
  'GET /v1/settings': ALL,
  'PATCH /v1/settings': ADMINS,
  // Endpoints carry signing secrets and decide where the tenant's events go: configuration.
  'POST /v1/webhook-endpoints': ADMINS,
  'GET /v1/webhook-endpoints': ADMINS,
  'GET /v1/webhook-endpoints/:id': ADMINS,
  'PATCH /v1/webhook-endpoints/:id': ADMINS,
  'DELETE /v1/webhook-endpoints/:id': ADMINS,
  'POST /v1/webhook-endpoints/:id/rotate-secret': ADMINS,
  'GET /v1/webhook-endpoints/:id/deliveries': ADMINS,
} as const satisfies Record<string, readonly TenantKeyRole[]>;

export type TenantRoute = keyof typeof TENANT_ROUTE_ROLES;

export function roleMayUse(role: TenantKeyRole, route: TenantRoute): boolean {
  return TENANT_ROUTE_ROLES[route].includes(role);
}
